import Foundation
import GRDB

extension MemoryIndex {
    /// Where recall looks: sessions that are incidents (not `rbsh test`'s
    /// cases, not replays), a resumed chain once (its last transcript), and
    /// only those started before `before` and not in `excluding` (the
    /// session asking, and the transcripts it continues).
    public struct Scope: Sendable {
        public var before: Date?
        public var excluding: Set<String>
        public var days: Int
        public var now: Date

        public init(before: Date? = nil, excluding: Set<String> = [], days: Int = 30, now: Date = Date()) {
            self.before = before
            self.excluding = Set(excluding.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
            self.days = days
            self.now = now
        }

        static let incidents = "s.continued = 0 AND (s.mode IS NULL OR s.mode NOT IN ('test', 'replay'))"
    }

    /// `paths` and every transcript they continue, as the index knows them.
    func chains(of paths: Set<String>) throws(MemoryError) -> Set<String> {
        guard !paths.isEmpty else { return paths }
        return try read { db in
            var all = paths
            var next = Array(paths)
            while let path = next.popLast() {
                if let earlier = try String.fetchOne(db, sql: "SELECT continues FROM session WHERE path = ?", arguments: [path]),
                    all.insert(earlier).inserted
                {
                    next.append(earlier)
                }
            }
            return all
        }
    }

    /// What the memory says of each of `causes` (`RUNBOOK/ID`): counted,
    /// dated and its fixes tallied in SQL, over the sessions that found it.
    public func recall(_ causes: [String], scope: Scope = Scope()) throws(MemoryError) -> [String: CauseRecall] {
        guard !causes.isEmpty else { return [:] }
        catchUp()
        let excluding = Array(try chains(of: scope.excluding))
        let windowStart = scope.now.addingTimeInterval(-Double(scope.days) * 86_400).timeIntervalSince1970
        let before = (scope.before ?? .distantFuture).timeIntervalSince1970
        // The sessions that found the cause, as recall counts them.
        let found = """
            s.id IN (SELECT session FROM seen WHERE finding = ?) AND \(Scope.incidents) AND s.started < ?
            AND s.path NOT IN (\(databaseQuestionMarks(count: excluding.count)))
            """
        return try read { db in
            var out: [String: CauseRecall] = [:]
            for cause in causes {
                let within = StatementArguments([cause]) + [before] + StatementArguments(excluding)
                let counts = try Row.fetchOne(
                    db, sql: "SELECT count(*) AS ever, coalesce(sum(s.started >= ?), 0) AS recent FROM session s WHERE \(found)",
                    arguments: [windowStart] + within)
                let last = try Row.fetchOne(
                    db, sql: "SELECT s.path, s.started, s.user, s.host FROM session s WHERE \(found) ORDER BY s.started DESC LIMIT 1",
                    arguments: within)
                let fixes = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT f.remediation, f.state, count(DISTINCT f.session) AS times FROM fix f JOIN session s ON s.id = f.session
                        WHERE \(found) AND f.state IN ('verified', 'failed') AND (' ' || f.fixes || ' ') LIKE ?
                        GROUP BY f.remediation, f.state ORDER BY times DESC, f.remediation
                        """,
                    arguments: within + ["% \(PastSession.local(cause)) %"])
                let ever: Int = counts?["ever"] ?? 0
                let recent: Int = counts?["recent"] ?? 0
                func tally(_ state: PastSession.FixState) -> [CauseRecall.FixCount] {
                    fixes.filter { $0["state"] == state.rawValue }.map {
                        CauseRecall.FixCount(remediation: $0["remediation"], times: $0["times"])
                    }
                }
                out[cause] = CauseRecall(
                    finding: cause, label: ever == 0 ? .newHere : (recent >= CauseRecall.frequentFrom ? .frequent : .rare), seen: recent,
                    seenEver: ever, days: scope.days,
                    last: last.map {
                        CauseRecall.Occasion(
                            transcript: $0["path"], started: Date(timeIntervalSince1970: $0["started"]), user: $0["user"], host: $0["host"])
                    },
                    fixedBy: tally(.verified), didNotHold: tally(.failed))
            }
            return out
        }
    }
}
