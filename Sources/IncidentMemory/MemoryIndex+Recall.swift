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

    /// What the memory says of each of `causes` (`RUNBOOK/ID`).
    public func recall(_ causes: [String], scope: Scope = Scope()) throws(MemoryError) -> [String: CauseRecall] {
        guard !causes.isEmpty else { return [:] }
        let excluding = try chains(of: scope.excluding)
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT seen.finding, s.id, s.path, s.started, s.user, s.host FROM seen JOIN session s ON s.id = seen.session
                    WHERE seen.finding IN (\(databaseQuestionMarks(count: causes.count))) AND \(Scope.incidents) AND s.started < ?
                    ORDER BY s.started DESC
                    """,
                arguments: StatementArguments(causes) + [(scope.before ?? .distantFuture).timeIntervalSince1970])
        }
        var sessions: [String: [(id: Int64, occasion: CauseRecall.Occasion)]] = [:]
        for row in rows {
            let path: String = row["path"]
            guard !excluding.contains(path) else { continue }
            let occasion = CauseRecall.Occasion(
                transcript: path, started: Date(timeIntervalSince1970: row["started"]), user: row["user"], host: row["host"])
            sessions[row["finding"], default: []].append((row["id"], occasion))
        }
        let ids = Array(Set(sessions.values.flatMap { $0.map(\.id) }))
        let fixes = try read { db in
            ids.isEmpty
                ? []
                : try Row.fetchAll(
                    db,
                    sql: "SELECT session, remediation, fixes, state FROM fix WHERE session IN (\(databaseQuestionMarks(count: ids.count)))",
                    arguments: StatementArguments(ids))
        }
        let windowStart = scope.now.addingTimeInterval(-Double(scope.days) * 86_400)
        var out: [String: CauseRecall] = [:]
        for cause in causes {
            let past = sessions[cause] ?? []
            let inWindow = past.filter { $0.occasion.started >= windowStart }.count
            let mine = Set(past.map(\.id))
            var verified: [String: Int] = [:]
            var failed: [String: Int] = [:]
            for row in fixes {
                let session: Int64 = row["session"]
                let list: String = row["fixes"]
                guard mine.contains(session), list.split(separator: " ").contains(Substring(PastSession.local(cause))) else { continue }
                switch PastSession.FixState(rawValue: row["state"]) {
                case .verified: verified[row["remediation"], default: 0] += 1
                case .failed: failed[row["remediation"], default: 0] += 1
                default: break
                }
            }
            func counts(_ d: [String: Int]) -> [CauseRecall.FixCount] {
                d.map { CauseRecall.FixCount(remediation: $0.key, times: $0.value) }
                    .sorted { $0.times != $1.times ? $0.times > $1.times : $0.remediation < $1.remediation }
            }
            let label: CauseRecall.Label = past.isEmpty ? .newHere : (inWindow >= CauseRecall.frequentFrom ? .frequent : .rare)
            out[cause] = CauseRecall(
                finding: cause, label: label, seen: inWindow, seenEver: past.count, days: scope.days, last: past.first?.occasion,
                fixedBy: counts(verified), didNotHold: counts(failed))
        }
        return out
    }
}
