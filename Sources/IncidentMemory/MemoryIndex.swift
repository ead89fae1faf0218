import Foundation
import GRDB
import RunbookKit

/// Why the memory cannot be used; one line.
public struct MemoryError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The index of past sessions: an SQLite database (through GRDB) of what
/// each finished transcript found and how its fixes came out, one row per
/// transcript, found again by path, size and mtime, and by SHA-256.
///
/// Several rbsh processes may write it at once: it is in WAL mode, writers
/// wait their turn (up to 10 s) in immediate transactions.
public final class MemoryIndex: Sendable {
    public let path: String
    let queue: DatabaseQueue

    /// Opens (or creates) the index at `path`, its folder too.
    public init(path: String) throws(MemoryError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            var config = Configuration()
            config.journalMode = .wal
            config.busyMode = .timeout(10)
            config.foreignKeysEnabled = true
            config.label = "rbsh memory"
            // Creating the file, turning WAL on and migrating are not covered by the busy timeout (SQLite
            // refuses an upgrade from read to write at once): processes opening it together take turns.
            queue = try OpeningLock.held(beside: path) {
                let queue = try DatabaseQueue(path: path, configuration: config)
                try Self.migrator.migrate(queue)
                return queue
            }
        } catch let error as DatabaseError {
            throw MemoryError("the incident memory \(path) cannot be opened: \(error.message ?? "\(error.resultCode)")")
        } catch {
            throw MemoryError("the incident memory \(path) cannot be opened: \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("sessions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE session (
                        id INTEGER PRIMARY KEY,
                        path TEXT NOT NULL UNIQUE,
                        sha256 TEXT NOT NULL UNIQUE,
                        size INTEGER NOT NULL,
                        mtime DOUBLE NOT NULL,
                        started DOUBLE NOT NULL,
                        user TEXT, host TEXT, command TEXT, mode TEXT,
                        targets TEXT NOT NULL,
                        runbooks TEXT NOT NULL,
                        outcome TEXT NOT NULL,
                        continues TEXT,
                        continued INTEGER NOT NULL DEFAULT 0,
                        symptoms TEXT NOT NULL,
                        gone INTEGER NOT NULL DEFAULT 0,
                        indexed DOUBLE NOT NULL
                    );
                    CREATE INDEX session_started ON session(started);
                    CREATE INDEX session_continues ON session(continues);
                    CREATE TABLE seen (
                        session INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
                        finding TEXT NOT NULL,
                        local TEXT NOT NULL,
                        message TEXT NOT NULL,
                        severity TEXT NOT NULL,
                        cause_rank INTEGER,
                        explained_by TEXT
                    );
                    CREATE INDEX seen_finding ON seen(finding);
                    CREATE INDEX seen_local ON seen(local);
                    CREATE INDEX seen_session ON seen(session);
                    CREATE TABLE fix (
                        session INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
                        remediation TEXT NOT NULL,
                        fixes TEXT NOT NULL,
                        state TEXT NOT NULL,
                        host TEXT
                    );
                    CREATE INDEX fix_session ON fix(session);
                    CREATE TABLE foreign_file (
                        path TEXT PRIMARY KEY,
                        size INTEGER NOT NULL,
                        mtime DOUBLE NOT NULL,
                        why TEXT NOT NULL
                    );
                    """)
        }
        // What recall and search read, kept small and indexed: the latest message of each finding (what
        // a text is matched against), the runbooks of each session, and the findings by session.
        m.registerMigration("recall-tables") { db in
            try db.execute(
                sql: """
                    CREATE TABLE finding_text (finding TEXT PRIMARY KEY, message TEXT NOT NULL, started DOUBLE NOT NULL);
                    INSERT INTO finding_text (finding, message, started)
                        SELECT seen.finding, seen.message, max(s.started) FROM seen JOIN session s ON s.id = seen.session GROUP BY seen.finding;
                    CREATE TABLE session_runbook (
                        session INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
                        runbook TEXT NOT NULL
                    );
                    INSERT INTO session_runbook (session, runbook) SELECT s.id, j.value FROM session s, json_each(s.runbooks) j;
                    CREATE INDEX session_runbook_by_runbook ON session_runbook(runbook, session);
                    CREATE INDEX seen_finding_session ON seen(finding, session, cause_rank);
                    CREATE INDEX seen_local_session ON seen(local, session, cause_rank);
                    DROP INDEX seen_finding;
                    DROP INDEX seen_local;
                    """)
        }
        return m
    }

    /// Runs `body` in one immediate transaction: a writer waits for another's to end.
    func write<T>(_ body: (Database) throws -> T) throws(MemoryError) -> T {
        do {
            return try queue.writeWithoutTransaction { db in
                var out: T?
                try db.inTransaction(.immediate) {
                    out = try body(db)
                    return .commit
                }
                guard let out else { throw MemoryError("nothing was written") }
                return out
            }
        } catch let error as MemoryError {
            throw error
        } catch let error as DatabaseError {
            throw MemoryError("the incident memory \(path): \(error.message ?? "\(error.resultCode)")")
        } catch {
            throw MemoryError("the incident memory \(path): \(error)")
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(MemoryError) -> T {
        do {
            return try queue.read(body)
        } catch let error as DatabaseError {
            throw MemoryError("the incident memory \(path): \(error.message ?? "\(error.resultCode)")")
        } catch {
            throw MemoryError("the incident memory \(path): \(error)")
        }
    }

    /// Adds the sessions that ended since the last read (`PendingSessions`):
    /// every public read calls it first; a stat when none waits.
    func catchUp() {
        if PendingSessions.waiting(beside: path) { PendingSessions.drain(into: self) }
    }

    /// How many sessions it holds (resumed chains once).
    public func count() throws(MemoryError) -> Int {
        catchUp()
        return try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM session WHERE continued = 0") ?? 0 }
    }

    /// Stores `session` (its file `size` bytes, modified at `mtime`), in place of any row of the same path.
    func store(_ s: PastSession, size: Int, mtime: Double, in db: Database) throws {
        // One row a path and one a content: of two writers storing the same transcript at once, the last stays.
        try db.execute(sql: "DELETE FROM session WHERE path = ? OR sha256 = ?", arguments: [s.path, s.sha256])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let targets = String(decoding: try encoder.encode(s.targets), as: UTF8.self)
        let runbooks = String(decoding: try encoder.encode(s.runbooks), as: UTF8.self)
        let continued =
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM session WHERE continues = ?)", arguments: [s.path]) ?? false
        try db.execute(
            sql: """
                INSERT INTO session (path, sha256, size, mtime, started, user, host, command, mode, targets, runbooks,
                    outcome, continues, continued, symptoms, indexed)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                s.path, s.sha256, size, mtime, s.started.timeIntervalSince1970, s.user, s.host, s.command, s.mode, targets,
                runbooks, s.outcome, s.continues, continued, s.symptoms.joined(separator: "\n"), Date().timeIntervalSince1970,
            ])
        let id = db.lastInsertedRowID
        for seen in s.seen {
            try db.execute(
                sql: "INSERT INTO seen (session, finding, local, message, severity, cause_rank, explained_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    id, seen.finding, PastSession.local(seen.finding), seen.message, seen.severity, seen.causeRank, seen.explainedBy,
                ])
        }
        for seen in s.seen where !seen.message.isEmpty {
            try db.execute(
                sql: """
                    INSERT INTO finding_text (finding, message, started) VALUES (?, ?, ?)
                    ON CONFLICT (finding) DO UPDATE SET message = excluded.message, started = excluded.started
                    WHERE excluded.started >= finding_text.started
                    """,
                arguments: [seen.finding, seen.message, s.started.timeIntervalSince1970])
        }
        for runbook in Set(s.walked) {
            try db.execute(sql: "INSERT INTO session_runbook (session, runbook) VALUES (?, ?)", arguments: [id, runbook])
        }
        for fix in s.fixes {
            try db.execute(
                sql: "INSERT INTO fix (session, remediation, fixes, state, host) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, fix.remediation, fix.fixes.joined(separator: " "), fix.state.rawValue, fix.host])
        }
        if let earlier = s.continues {
            try db.execute(sql: "UPDATE session SET continued = 1 WHERE path = ?", arguments: [earlier])
        }
    }
}
