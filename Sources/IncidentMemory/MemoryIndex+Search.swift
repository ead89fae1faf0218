import Foundation
import GRDB

extension MemoryIndex {
    /// What `rbsh recall` looks for: findings (`RUNBOOK/ID` or a bare `ID`
    /// in any runbook) and runbooks, each with a weight from 0 to 1 (1: asked
    /// for by name; less: matched by text).
    public struct Query: Sendable {
        public var findings: [String: Double]
        public var runbooks: [String: Double]
        public var since: Date?
        public var limit: Int

        public init(findings: [String: Double] = [:], runbooks: [String: Double] = [:], since: Date? = nil, limit: Int = 10) {
            self.findings = findings
            self.runbooks = runbooks
            self.since = since
            self.limit = limit
        }
    }

    /// A past session like the one asked about.
    public struct Match: Sendable, Encodable {
        public var transcript: String
        public var started: String
        public var user: String?
        public var host: String?
        public var causes: [String]
        /// The fixes that verified in it.
        public var fixedBy: [String]
        public var verified: Bool
        public var score: Double
        /// Its transcript is no longer where it was indexed.
        public var gone: Bool

        enum CodingKeys: String, CodingKey {
            case transcript, started, user, host, causes, verified, score
            case fixedBy = "fixed_by"
        }
    }

    /// Every finding the memory holds, with its latest message (SQLite takes a
    /// bare column from the row of `max`): what a text is matched against.
    public func findingTexts() throws(MemoryError) -> [(finding: String, message: String)] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT seen.finding, seen.message, max(s.started) FROM seen JOIN session s ON s.id = seen.session
                    GROUP BY seen.finding
                    """
            ).map { ($0["finding"], $0["message"]) }
        }
    }

    /// Past sessions like `query`, best first: a finding asked for that was
    /// a cause there counts in full, one another cause explained half; a
    /// runbook walked there, half its weight; ties go to the latest.
    public func search(_ query: Query, scope: Scope = Scope()) throws(MemoryError) -> [Match] {
        let names = Array(query.findings.keys)
        let runbooks = Array(query.runbooks.keys)
        guard !names.isEmpty || !runbooks.isEmpty else { return [] }
        let since = (query.since ?? .distantPast).timeIntervalSince1970
        let before = (scope.before ?? .distantFuture).timeIntervalSince1970
        var scores: [Int64: Double] = [:]
        try read { db in
            if !names.isEmpty {
                let marks = databaseQuestionMarks(count: names.count)
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT seen.session, seen.finding, seen.local, seen.cause_rank FROM seen JOIN session s ON s.id = seen.session
                        WHERE (seen.finding IN (\(marks)) OR seen.local IN (\(marks))) AND \(Scope.incidents) AND s.started >= ? AND s.started < ?
                        """,
                    arguments: StatementArguments(names) + StatementArguments(names) + [since, before])
                for row in rows {
                    let weight = query.findings[row["finding"]] ?? query.findings[row["local"]] ?? 0
                    let cause = (row["cause_rank"] as Int?) != nil
                    scores[row["session"], default: 0] += weight * (cause ? 1 : 0.5) / Double(max(1, names.count))
                }
            }
            for runbook in runbooks {
                let ids = try Int64.fetchAll(
                    db,
                    sql: "SELECT s.id FROM session s WHERE s.runbooks LIKE ? AND \(Scope.incidents) AND s.started >= ? AND s.started < ?",
                    arguments: ["%\"\(runbook)\"%", since, before])
                for id in ids { scores[id] = max(scores[id] ?? 0, 0.5 * (query.runbooks[runbook] ?? 0)) }
            }
        }
        guard !scores.isEmpty else { return [] }
        let excluding = try chains(of: scope.excluding)
        let ids = Array(scores.keys)
        let sessions = try read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, path, started, user, host, gone FROM session WHERE id IN (\(databaseQuestionMarks(count: ids.count)))",
                arguments: StatementArguments(ids))
        }
        let ranked =
            sessions
            .filter { !excluding.contains($0["path"] as String) }
            .sorted { a, b in
                let (sa, sb) = (scores[a["id"]] ?? 0, scores[b["id"]] ?? 0)
                return sa != sb ? sa > sb : (a["started"] as Double) > (b["started"] as Double)
            }
            .prefix(query.limit)
        return try ranked.map { row throws(MemoryError) in
            let id: Int64 = row["id"]
            let (causes, fixes) = try read { db in
                (
                    try String.fetchAll(
                        db, sql: "SELECT finding FROM seen WHERE session = ? AND cause_rank IS NOT NULL ORDER BY cause_rank",
                        arguments: [id]),
                    try String.fetchAll(
                        db, sql: "SELECT DISTINCT remediation FROM fix WHERE session = ? AND state = 'verified'", arguments: [id])
                )
            }
            let started = Date(timeIntervalSince1970: row["started"])
            return Match(
                transcript: row["path"], started: started.formatted(.iso8601), user: row["user"], host: row["host"], causes: causes,
                fixedBy: fixes, verified: !fixes.isEmpty, score: ((scores[id] ?? 0) * 1000).rounded() / 1000, gone: row["gone"])
        }
    }
}
