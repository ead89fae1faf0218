import Foundation

/// Every runbook rbsh can find, first found wins by id: `--runbooks DIR`,
/// then `$RBSH_RUNBOOKS`, then `./runbooks`, then those built into the binary.
public struct RunbookCatalogue: Sendable {
    public struct Entry: Sendable {
        public var id: String
        public var origin: String
        public var path: String
        /// Its aliases, known without loading it (a built-in one's from its summary).
        public var aliases: [String]
        let loading: Loading
        /// How loading it turned out: a built-in runbook is loaded when first asked for.
        public var outcome: RunbookLoader.Outcome { loading.outcome }
        public var runbook: Runbook? { outcome.runbook }
    }

    /// A runbook's loading, done once, when first needed.
    final class Loading: @unchecked Sendable {
        private let lock = NSLock()
        private var done: RunbookLoader.Outcome?
        private let load: @Sendable () -> RunbookLoader.Outcome

        init(_ load: @escaping @Sendable () -> RunbookLoader.Outcome) { self.load = load }
        init(done: RunbookLoader.Outcome) {
            self.done = done
            load = { done }
        }

        var outcome: RunbookLoader.Outcome {
            lock.withLock {
                if let done { return done }
                let outcome = load()
                done = outcome
                return outcome
            }
        }
    }

    public private(set) var entries: [Entry] = []

    public init(directories: [String], includeBuiltins: Bool = true) {
        var seen: Set<String> = []
        for dir in directories {
            for path in Self.files(in: dir) {
                let file = (path as NSString).lastPathComponent
                let outcome = RunbookLoader.load(path: path)
                let id = outcome.runbook?.id ?? (file as NSString).deletingPathExtension
                guard seen.insert(id).inserted else { continue }
                entries.append(
                    Entry(id: id, origin: dir, path: path, aliases: outcome.runbook?.aliases ?? [], loading: Loading(done: outcome)))
            }
        }
        guard includeBuiltins else { return }
        // Built-in files are named after their ids, and their summaries were
        // written at build time: each is parsed only when a walk asks for it.
        let summaries = Dictionary(BuiltinRunbookFiles.summaries.map { ($0.id, $0) }) { first, _ in first }
        for file in BuiltinRunbookFiles.files {
            let id = (file.name as NSString).deletingPathExtension
            guard seen.insert(id).inserted else { continue }
            let (name, text) = (file.name, file.text)
            let loading = Loading { RunbookLoader.load(yaml: text, file: "built-in:\(name)", origin: "built-in") }
            entries.append(
                Entry(id: id, origin: "built-in", path: "built-in:\(name)", aliases: summaries[id]?.aliases ?? [], loading: loading))
        }
    }

    /// The runbook files in a folder, by name: YAML, and Markdown that opens
    /// with frontmatter (a README beside the runbooks is not one).
    public static func files(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter(RunbookLoader.isRunbookFile).sorted()
            .map { (dir as NSString).appendingPathComponent($0) }
            .filter { !$0.hasSuffix(".md") || opensWithFrontmatter($0) }
    }

    static func opensWithFrontmatter(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 5)) ?? Data()
        return head.starts(with: Data("---\n".utf8)) || head.starts(with: Data("---\r\n".utf8))
    }

    /// The runbooks built into the binary, each as loading it turned out (for lint).
    public static var builtIn: [RunbookLoader.Outcome] {
        BuiltinRunbookFiles.files.map { RunbookLoader.load(yaml: $0.text, file: "built-in:\($0.name)", origin: "built-in") }
    }

    /// The search path for this process: flag, environment, ./runbooks.
    public static func directories(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var dirs: [String] = []
        if let flag { dirs.append(flag) }
        if let env = environment["RBSH_RUNBOOKS"], !env.isEmpty { dirs += env.split(separator: ":").map(String.init) }
        dirs.append("runbooks")
        return dirs
    }

    /// A runbook by id, alias or unique prefix (see `match`), or by path to a file.
    public func resolve(_ name: String) throws(CatalogueError) -> Runbook {
        if RunbookLoader.isRunbookFile(name) || name.contains("/") {
            guard FileManager.default.fileExists(atPath: name) else { throw .notFound("no runbook file \(name)") }
            let outcome = RunbookLoader.load(path: name)
            guard let rb = outcome.runbook else { throw .invalid(outcome.errors) }
            return rb
        }
        switch match(name) {
        case .runbook(let id):
            guard let entry = entries.first(where: { $0.id == id }) else { throw .notFound("no runbook `\(name)`") }
            guard let rb = entry.runbook else { throw .invalid(entry.outcome.errors) }
            return rb
        case .ambiguous(let all):
            let which = all.map { $0.id == $0.name ? "`\($0.id)`" : "`\($0.id)` (\($0.name))" }.joined(separator: ", ")
            throw .ambiguous("`\(name)` could name \(which); give more of the name")
        case .none:
            let hint = suggestion(for: name)
            throw .notFound("no runbook `\(name)`" + (hint.isEmpty ? "; `rbsh list` shows them, `rbsh find SYMPTOM` searches them" : hint))
        }
    }

    public var ids: [String] { entries.map(\.id) }
}

public enum CatalogueError: Error, CustomStringConvertible, Sendable {
    case notFound(String)
    /// The name fits several runbooks.
    case ambiguous(String)
    case invalid([Diagnostic])

    public var description: String {
        switch self {
        case .notFound(let m), .ambiguous(let m): return m
        case .invalid(let d): return d.map(\.description).joined(separator: "\n")
        }
    }
}
