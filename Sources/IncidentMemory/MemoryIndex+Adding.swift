import Clients
import Foundation
import GRDB
import RunbookKit

extension MemoryIndex {
    /// What adding one file did.
    public enum Added: Sendable, Hashable {
        /// Read and stored for the first time.
        case added
        /// Already there as it is: not read again.
        case unchanged
        /// Stored before with other contents: read again, and said.
        case changed
        /// The same bytes as a transcript stored from elsewhere: counted once.
        case duplicate(of: String)
        /// Not an rbsh transcript, or unreadable: why, in one line. Remembered, so it is said once.
        case skipped(String)
        /// Skipped before, and not changed since.
        case skippedBefore
    }

    /// What `index(folders:)` did, file by file where it matters.
    public struct Report: Sendable {
        public var added = 0
        public var unchanged = 0
        public var changed: [String] = []
        public var duplicates = 0
        public var gone: [String] = []
        public var skipped: [(path: String, why: String)] = []
        public var skippedBefore = 0

        /// One line each for what needs a look, then the counts.
        public var lines: [String] {
            var out = skipped.map { "skipped \($0.path): \($0.why)" }
            out += changed.map { "changed since it was indexed: \($0)" }
            out += gone.map { "gone since it was indexed: \($0)" }
            var counts = ["\(added) added", "\(changed.count) changed", "\(unchanged) unchanged"]
            if duplicates > 0 { counts.append("\(duplicates) duplicate\(duplicates == 1 ? "" : "s")") }
            if !gone.isEmpty { counts.append("\(gone.count) gone") }
            if !skipped.isEmpty || skippedBefore > 0 { counts.append("\(skipped.count + skippedBefore) not transcripts") }
            return out + [counts.joined(separator: ", ")]
        }
    }

    /// Adds the transcript at `path` (read as a chain when it continues
    /// another): not read at all when its size and mtime are as stored, not
    /// parsed when its SHA-256 is.
    @discardableResult
    public func add(path given: String) throws(MemoryError) -> Added {
        let path = URL(fileURLWithPath: given).standardizedFileURL.path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = (attributes[.size] as? NSNumber)?.intValue,
            let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970
        else { throw MemoryError("cannot read \(given)") }
        let known = try read { db in
            try Row.fetchOne(db, sql: "SELECT size, mtime, sha256 FROM session WHERE path = ?", arguments: [path])
                .map { (size: $0["size"] as Int, mtime: $0["mtime"] as Double, sha: $0["sha256"] as String) }
        }
        if let known, known.size == size, known.mtime == mtime { return .unchanged }
        let foreign = try read { db in
            try Row.fetchOne(db, sql: "SELECT size, mtime FROM foreign_file WHERE path = ?", arguments: [path])
                .map { (size: $0["size"] as Int, mtime: $0["mtime"] as Double) }
        }
        if known == nil, let foreign, foreign.size == size, foreign.mtime == mtime { return .skippedBefore }
        guard let data = FileManager.default.contents(atPath: path), let sha = FileDigest.sha256(data) else {
            throw MemoryError("cannot read \(given)")
        }
        if let known, known.sha == sha {
            try write { db in try db.execute(sql: "UPDATE session SET size = ?, mtime = ? WHERE path = ?", arguments: [size, mtime, path]) }
            return .unchanged
        }
        if known == nil,
            let twin = try read({ db in
                try String.fetchOne(db, sql: "SELECT path FROM session WHERE sha256 = ? AND path != ?", arguments: [sha, path])
            })
        {
            if FileManager.default.fileExists(atPath: twin) { return .duplicate(of: twin) }
            // Moved: the same transcript, found at its new place.
            try write { db in
                try db.execute(
                    sql: "UPDATE session SET path = ?, size = ?, mtime = ?, gone = 0 WHERE sha256 = ?", arguments: [path, size, mtime, sha])
            }
            return .unchanged
        }
        let transcript: Transcript
        let continues: String?
        do {
            let one = try Transcript.parse(TranscriptEssentials.filter(data), path: path)
            continues = one.header.continues.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            transcript = continues == nil ? one : try Transcript.readChain(path: path)
        } catch {
            let why =
                error.description.hasPrefix(path)
                ? String(error.description.dropFirst(path.count)).trimmingCharacters(in: CharacterSet(charactersIn: ": "))
                : error.description
            try write { db in
                try db.execute(
                    sql: "INSERT OR REPLACE INTO foreign_file (path, size, mtime, why) VALUES (?, ?, ?, ?)",
                    arguments: [path, size, mtime, why])
            }
            return .skipped(why)
        }
        let session = PastSession(transcript, sha256: sha, continues: continues)
        try write { db in
            try db.execute(sql: "DELETE FROM foreign_file WHERE path = ?", arguments: [path])
            try store(session, size: size, mtime: mtime, in: db)
        }
        return known == nil ? .added : .changed
    }

    /// Adds every transcript under `folders` (`.jsonl` and `.json` files, in
    /// sub-folders too, hidden ones left out) and notices the ones stored from
    /// there that are gone.
    public func index(folders: [String]) throws(MemoryError) -> Report {
        var report = Report()
        for folder in folders {
            let root = URL(fileURLWithPath: folder).standardizedFileURL.path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder) else { throw MemoryError("no folder \(folder)") }
            let files = isFolder.boolValue ? Self.transcriptFiles(under: root) : [root]
            for file in files {
                do {
                    switch try add(path: file) {
                    case .added: report.added += 1
                    case .unchanged: report.unchanged += 1
                    case .changed: report.changed.append(file)
                    case .duplicate: report.duplicates += 1
                    case .skipped(let why): report.skipped.append((file, why))
                    case .skippedBefore: report.skippedBefore += 1
                    }
                } catch {
                    report.skipped.append((file, error.description))
                }
            }
            guard isFolder.boolValue else { continue }
            let present = Set(files)
            let gone = try write { db -> [String] in
                let prefix = root.hasSuffix("/") ? root : root + "/"
                let stored = try String.fetchAll(
                    db, sql: "SELECT path FROM session WHERE gone = 0 AND substr(path, 1, ?) = ?", arguments: [prefix.count, prefix])
                let gone = stored.filter { !present.contains($0) && !FileManager.default.fileExists(atPath: $0) }
                for path in gone { try db.execute(sql: "UPDATE session SET gone = 1 WHERE path = ?", arguments: [path]) }
                return gone
            }
            report.gone += gone
        }
        return report
    }

    /// The `.jsonl` and `.json` files under `root`, sorted; hidden folders and files left out.
    static func transcriptFiles(under root: String) -> [String] {
        guard
            let walker = FileManager.default.enumerator(
                at: URL(fileURLWithPath: root), includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        else { return [] }
        var out: [String] = []
        for case let url as URL in walker where ["jsonl", "json"].contains(url.pathExtension) {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { out.append(url.standardizedFileURL.path) }
        }
        return out.sorted()
    }
}
