import Foundation

/// The summaries `rbsh find` read from runbook files, kept between runs by
/// path, size and modification time, so a folder of runbooks is read again
/// only where a file changed: `$XDG_CACHE_HOME/rbsh/summaries.json` (or
/// `~/.cache/rbsh/`). Losing it costs time, never an answer: a cache that
/// cannot be read or written is read around.
struct SummaryCache {
    struct Entry: Codable {
        var size: Int
        var modified: Double
        var summary: RunbookSummary?
    }

    let path: String
    private(set) var entries: [String: Entry]
    private(set) var changed = false

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        path = base + "/rbsh/summaries.json"
        entries = FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode([String: Entry].self, from: $0) } ?? [:]
    }

    /// The summary of the runbook file at `file` (nil when it is not one),
    /// from the cache when the file has not changed since it was read.
    mutating func summary(of file: String) -> RunbookSummary? {
        let absolute = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        var info = stat()
        guard stat(absolute, &info) == 0 else { return nil }
        let size = Int(info.st_size)
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        if let kept = entries[absolute], kept.size == size, kept.modified == modified { return kept.summary }
        let summary = RunbookSummary.read(path: absolute)
        entries[absolute] = Entry(size: size, modified: modified, summary: summary)
        changed = true
        return summary
    }

    /// Writes what changed; files gone from disk are forgotten.
    func save() {
        guard changed else { return }
        let kept = entries.filter { FileManager.default.fileExists(atPath: $0.key) }
        guard let data = try? JSONEncoder().encode(kept) else { return }
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
