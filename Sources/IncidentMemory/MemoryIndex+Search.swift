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

    /// Every finding the memory holds, with its latest message: what a text is matched against.
    public func findingTexts() throws(MemoryError) -> [(finding: String, message: String)] {
        catchUp()
        return try read { db in
            try Row.fetchAll(db, sql: "SELECT finding, message FROM finding_text").map { ($0["finding"], $0["message"]) }
        }
    }

    /// Whether the memory holds a finding of this name (`RUNBOOK/ID`, or `ID` in any runbook).
    public func knows(finding name: String) throws(MemoryError) -> Bool {
        catchUp()
        return try read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM seen WHERE finding = ?) OR EXISTS (SELECT 1 FROM seen WHERE local = ?)",
                arguments: [name, name]) ?? false
        }
    }

    /// Past sessions like `query`, best first: a finding asked for that was
    /// a cause there counts in full, one another cause explained half; a
    /// runbook walked there, or one a cause came from, half its weight (a
    /// finding of it that was no cause, a quarter); ties go to the latest.
    public func search(_ query: Query, scope: Scope = Scope()) throws(MemoryError) -> [Match] {
        catchUp()
        let names = Array(query.findings.keys)
        let runbooks = Array(query.runbooks.keys)
        guard !names.isEmpty || !runbooks.isEmpty else { return [] }
        let since = (query.since ?? .distantPast).timeIntervalSince1970
        let before = (scope.before ?? .distantFuture).timeIntervalSince1970
        let excluding = Array(try chains(of: scope.excluding))
        let within = """
            \(Scope.incidents) AND s.started >= ? AND s.started < ? AND s.path NOT IN (\(databaseQuestionMarks(count: excluding.count)))
            """
        let bounds = [since, before] + StatementArguments(excluding)
        /// `(?, ?), …` of names and weights, for a `VALUES` list.
        func values(_ d: [String: Double]) -> (String, StatementArguments) {
            let pairs = d.sorted { $0.key < $1.key }
            return (
                pairs.map { _ in "(?, ?)" }.joined(separator: ", "),
                pairs.reduce(into: StatementArguments()) { $0 += [$1.key, $1.value] }
            )
        }
        // A name with a `/` is a finding of one runbook; without, the same id in any. A session's score is
        // the best of its findings' (summed over the names asked) and its runbook's; the ranking is SQL's.
        let (findingList, findingArgs) = names.isEmpty ? ("SELECT NULL, 0 WHERE 0", StatementArguments()) : values(query.findings)
        let (runbookList, runbookArgs) = runbooks.isEmpty ? ("SELECT NULL, 0 WHERE 0", StatementArguments()) : values(query.runbooks)
        let ranked = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    WITH q(name, w) AS (\(names.isEmpty ? "" : "VALUES ")\(findingList)),
                    r(name, w) AS (\(runbooks.isEmpty ? "" : "VALUES ")\(runbookList)),
                    finding_hits AS (
                        SELECT seen.session, q.w * (CASE WHEN seen.cause_rank IS NULL THEN 0.5 ELSE 1.0 END) AS score
                        FROM q JOIN seen ON seen.finding = q.name WHERE instr(q.name, '/') > 0
                        UNION ALL
                        SELECT seen.session, q.w * (CASE WHEN seen.cause_rank IS NULL THEN 0.5 ELSE 1.0 END) AS score
                        FROM q JOIN seen ON seen.local = q.name WHERE instr(q.name, '/') = 0
                    ),
                    hits AS (
                        SELECT session, sum(score) / ? AS score FROM finding_hits GROUP BY session
                        UNION ALL
                        SELECT sr.session, max(r.w) * 0.5 AS score FROM r JOIN session_runbook sr ON sr.runbook = r.name GROUP BY sr.session
                        UNION ALL
                        SELECT seen.session, max(r.w * (CASE WHEN seen.cause_rank IS NULL THEN 0.25 ELSE 0.5 END)) AS score
                        FROM r JOIN seen ON seen.finding > r.name || '/' AND seen.finding < r.name || '0' GROUP BY seen.session
                    )
                    SELECT s.id, s.started, max(hits.score) AS score FROM hits JOIN session s ON s.id = hits.session
                    WHERE \(within) GROUP BY s.id ORDER BY score DESC, s.started DESC LIMIT ?
                    """,
                arguments: findingArgs + runbookArgs + [Double(max(1, names.count))] + bounds + [query.limit])
        }.map { (id: $0["id"] as Int64, scored: (score: $0["score"] as Double, started: $0["started"] as Double)) }
        return try ranked.map { (id, scored) throws(MemoryError) in
            let (row, causes, fixes) = try read { db in
                (
                    try Row.fetchOne(db, sql: "SELECT path, user, host, gone FROM session WHERE id = ?", arguments: [id]) ?? Row(),
                    try String.fetchAll(
                        db, sql: "SELECT finding FROM seen WHERE session = ? AND cause_rank IS NOT NULL ORDER BY cause_rank",
                        arguments: [id]),
                    try String.fetchAll(
                        db, sql: "SELECT DISTINCT remediation FROM fix WHERE session = ? AND state = 'verified'", arguments: [id])
                )
            }
            let started = Date(timeIntervalSince1970: scored.started)
            return Match(
                transcript: row["path"] ?? "", started: started.formatted(.iso8601), user: row["user"], host: row["host"], causes: causes,
                fixedBy: fixes, verified: !fixes.isEmpty, score: (scored.score * 1000).rounded() / 1000, gone: row["gone"] ?? false)
        }
    }
}
