#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// Sessions that ended but are not in the index yet: their transcripts'
/// absolute paths, a line each, in a file beside the index
/// (`memory.sqlite.pending`).
///
/// A session's end appends its path there: one locked write, so a short run
/// never opens SQLite. Every read of the index adds the pending ones first
/// (`MemoryIndex.catchUp`), so nothing reads the memory without them, and the
/// transcripts themselves are already durable.
public enum PendingSessions {
    static func path(beside index: String) -> String { index + ".pending" }

    /// Appends `transcript` (made absolute) for the index at `index`.
    public static func append(_ transcript: String, beside index: String) throws(MemoryError) {
        let absolute = URL(fileURLWithPath: transcript).standardizedFileURL.path
        guard !absolute.contains("\n") else { throw MemoryError("a transcript's path holds a line break: \(transcript)") }
        let folder = (index as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw MemoryError("cannot make \(folder): \(error.localizedDescription)")
        }
        let file = path(beside: index)
        let fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw MemoryError("cannot write \(file): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard OpeningLock.lock(fd) else { throw MemoryError("\(file) is held by another process for more than 10 s") }
        defer { flock(fd, LOCK_UN) }
        let line = Array((absolute + "\n").utf8)
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else { throw MemoryError("cannot write \(file): \(String(cString: strerror(errno)))") }
    }

    /// Whether anything waits to be added to the index at `index` (one stat).
    static func waiting(beside index: String) -> Bool {
        var st = stat()
        return stat(path(beside: index), &st) == 0 && st.st_size > 0
    }

    /// Adds every pending transcript to `memory`, holding the file's lock
    /// throughout (an append waits for it); a transcript that could not be
    /// added for the index's sake (busy, read-only) stays for the next read,
    /// one that is gone or unreadable is dropped.
    static func drain(into memory: MemoryIndex) {
        let file = path(beside: memory.path)
        let fd = open(file, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard OpeningLock.lock(fd) else { return }
        defer { flock(fd, LOCK_UN) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { bytes += chunk[0..<n] } else if n < 0, errno == EINTR { continue } else { break }
        }
        var kept: [String] = []
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let path = String(line)
            guard FileManager.default.isReadableFile(atPath: path) else { continue }
            do { _ = try memory.add(path: path) } catch { kept.append(path) }
        }
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { return }
        let rest = Array(kept.map { $0 + "\n" }.joined().utf8)
        if !rest.isEmpty { _ = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
    }
}
