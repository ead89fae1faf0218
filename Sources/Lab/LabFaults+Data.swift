import Clients
import Foundation
import RunbookKit

/// The faults that are a change to the data, the statistics, the
/// configuration or the files, each undone by its own clear.
extension LabFaults {
    /// The guide's indexes and the names `indexes-renamed` gives them.
    static let renamedIndexes = [
        ("idx_task_results_task_id_time", "task_results_task_time_key"), ("idx_task_results_execution_time", "task_results_executed_at"),
        ("idx_tasks_user_status", "tasks_owner_state"), ("idx_agents_status_location", "agents_where_online"),
        ("idx_task_results_failed", "task_results_errors"), ("idx_task_results_date", "task_results_by_day"),
    ]

    func injectData(_ name: String) throws {
        switch name {
        case "slow-queries":
            let c = try db()
            _ = try c.query("SELECT pg_stat_statements_reset()")
            _ = try c.query("SET statement_timeout = 0")
            _ = try c.query("SELECT pg_sleep(1.1)", timeout: 10)
            _ = try c.query("SELECT count(*) FROM agents, pg_sleep(1.1)", timeout: 10)
        case "dropped-index":
            let c = try db()
            _ = try c.query("DROP INDEX IF EXISTS idx_task_results_task_id_time")
            try forgetReads(c)
        case "indexes-renamed":
            let c = try db()
            for (from, to) in Self.renamedIndexes { _ = try c.query("ALTER INDEX IF EXISTS \(from) RENAME TO \(to)") }
        case "invalid-index":
            let c = try db()
            // A concurrent build cancelled half-way leaves its index INVALID, as a deploy killed mid-migration does.
            _ = try c.query("SET statement_timeout = '150ms'")
            _ = try? c.query(
                "CREATE INDEX CONCURRENTLY lab_fault_results_by_agent ON task_results (agent_id, status, duration)", timeout: 10)
            _ = try c.query("SET statement_timeout = 0")
            let r = try c.query(
                "SELECT count(*) FROM pg_index WHERE NOT indisvalid AND indexrelid = to_regclass('lab_fault_results_by_agent')")
            guard r.rows.first?.first == "1" else { throw LabError("the cancelled index build left no invalid index") }
        case "stale-statistics":
            let c = try db()
            _ = try c.query("ALTER TABLE tasks SET (autovacuum_enabled = false)")
            _ = try c.query("UPDATE tasks SET interval_seconds = interval_seconds", timeout: 30)
            _ = try c.query("UPDATE tasks SET interval_seconds = interval_seconds", timeout: 30)
            _ = try c.query("SELECT pg_stat_force_next_flush()")
        case "duplicate-results":
            let c = try db()
            // Recent rows, duplicated: a collector that retries its inserts does it now, not a month ago.
            _ = try c.query(
                """
                INSERT INTO task_results (task_id, agent_id, execution_time, status, duration, result)
                SELECT task_id, agent_id, execution_time, status, duration, '{"lab_fault": "duplicate"}'::jsonb
                FROM task_results WHERE id % 2000 = 0 OR (execution_time > now() - interval '30 minutes' AND id % 20 = 0)
                """, timeout: 60)
            try forgetReads(c)
        case "stale-tasks":
            let c = try db()
            _ = try c.query(
                """
                INSERT INTO tasks (user_id, name, type, target, status, interval_seconds, agent_id, created_at)
                SELECT 'user123', 'lab-fault-stale-' || i, 'http', 'stale-' || i || '.example.net', 'active', 60, 1, now() - interval '2 days'
                FROM generate_series(1, 5) AS i
                """)
            try forgetReads(c)
        case "agents-offline":
            _ = try db().query(
                "UPDATE agents SET last_heartbeat = now() - interval '30 minutes' - (id % 60) * interval '1 second' WHERE status = 'online'"
            )
        case "agent-auth-failing":
            var lines = ""
            let now = Date()
            for i in 0..<30 {
                let t = ISO8601DateFormatter().string(from: now.addingTimeInterval(Double(i - 30) * 10))
                lines += "\(t) network-probe-agent[812]: connect wss://platform/ws: HTTP 401 Unauthorized: invalid agent token\n"
            }
            try append(lines, to: state.agentLog)
        case "env-missing-database-url":
            try state.deploymentEnvironment(withDatabaseURL: false).write(toFile: state.envFile, atomically: true, encoding: .utf8)
        case "redis-low-hit-rate":
            let r = try redis()
            for i in 1...20 { _ = try r.command(["SET", "lab:hit:\(i)", "cached", "EX", "3600"]) }
            _ = try r.command(["CONFIG", "RESETSTAT"])
            for i in 0..<300 { _ = try r.command(["GET", "lab:missing:\(i)"]) }
            for i in 1...20 { _ = try r.command(["GET", "lab:hit:\(i)"]) }
        case "redis-near-maxmemory":
            let r = try redis()
            let value = String(repeating: "x", count: 64 * 1024)
            // Until used_memory passes 90% of maxmemory (allkeys-lru keeps it under the limit).
            for i in 0..<2_000 {
                _ = try r.command(["SET", "lab:fill:\(i)", value])
                if i % 50 == 49, let info = try? r.command(["INFO", "memory"]), case .string(let text) = info,
                    (RedisInfo(parsing: text).memoryUsedPercent ?? 0) > 92
                {
                    break
                }
            }
        case "low-cache-hit-ratio":
            let c = try db()
            // A table larger than a quarter of shared_buffers, written and scanned through
            // small rings: its blocks are read from the OS, never found in the cache.
            _ = try c.query(
                "DROP TABLE IF EXISTS lab_fault_cold; CREATE UNLOGGED TABLE lab_fault_cold AS SELECT g, repeat('x', 200) AS filler FROM generate_series(1, 400000) AS g",
                timeout: 120)
            _ = try c.query("SELECT pg_stat_reset()")
            _ = try c.query("SET max_parallel_workers_per_gather = 0")
            for _ in 0..<10 { _ = try c.query("SELECT count(*) FROM lab_fault_cold", timeout: 60) }
        case "tls-expiring":
            try LabCertificates(state: state).issue(days: 5)
            lab.stopAPI(state)
            try lab.startAPI(state)
        default:
            throw LabError("fault \(name) cannot be injected")
        }
    }

    func clearData(_ name: String) throws {
        switch name {
        case "slow-queries":
            _ = try db().query("SELECT pg_stat_statements_reset()")
        case "dropped-index":
            _ = try db().query(
                "CREATE INDEX IF NOT EXISTS idx_task_results_task_id_time ON task_results (task_id, execution_time DESC)", timeout: 120)
        case "indexes-renamed":
            let c = try db()
            for (from, to) in Self.renamedIndexes { _ = try c.query("ALTER INDEX IF EXISTS \(to) RENAME TO \(from)") }
        case "invalid-index":
            _ = try db().query("DROP INDEX IF EXISTS lab_fault_results_by_agent")
        case "stale-statistics":
            let c = try db()
            _ = try c.query("ALTER TABLE tasks RESET (autovacuum_enabled)")
            _ = try c.query("VACUUM (ANALYZE) tasks", timeout: 60)
        case "duplicate-results":
            _ = try db().query("DELETE FROM task_results WHERE result->>'lab_fault' = 'duplicate'", timeout: 60)
        case "stale-tasks":
            _ = try db().query("DELETE FROM tasks WHERE name LIKE 'lab-fault-stale-%'")
        case "agents-offline":
            _ = try db().query("UPDATE agents SET last_heartbeat = now() - (id % 7) * interval '1 second' WHERE status = 'online'")
        case "agent-auth-failing":
            let t = ISO8601DateFormatter().string(from: Date())
            try append("\(t) network-probe-agent[812]: connected to wss://platform/ws\n", to: state.agentLog)
        case "env-missing-database-url":
            try state.deploymentEnvironment(withDatabaseURL: true).write(toFile: state.envFile, atomically: true, encoding: .utf8)
        case "redis-low-hit-rate":
            let r = try redis()
            for i in 1...20 { _ = try r.command(["SET", "lab:hit:\(i)", "cached", "EX", "3600"]) }
            _ = try r.command(["CONFIG", "RESETSTAT"])
            for _ in 0..<5 { for i in 1...20 { _ = try r.command(["GET", "lab:hit:\(i)"]) } }
        case "redis-near-maxmemory":
            let r = try redis()
            var cursor = "0"
            repeat {
                guard case .array(let reply) = try r.command(["SCAN", cursor, "MATCH", "lab:fill:*", "COUNT", "500"]), reply.count == 2,
                    case .string(let next) = reply[0], case .array(let keys) = reply[1]
                else { break }
                let names = keys.compactMap { k -> String? in if case .string(let s) = k { return s } else { return nil } }
                if !names.isEmpty { _ = try r.command(["UNLINK"] + names) }
                cursor = next
            } while cursor != "0"
        case "low-cache-hit-ratio":
            let c = try db()
            _ = try c.query("DROP TABLE IF EXISTS lab_fault_cold")
            _ = try c.query("SELECT pg_stat_reset()")
            for _ in 0..<20 { _ = try c.query("SELECT count(*) FROM agents") }
        case "tls-expiring":
            let fresh =
                (try? LabCommand.run(["openssl", "x509", "-checkend", String(30 * 86_400), "-noout", "-in", state.serverCertificate]))
                != nil
            if !fresh {
                try LabCertificates(state: state).issue(days: 365)
                lab.stopAPI(state)
                try lab.startAPI(state)
            }
        default:
            break
        }
    }

    /// A clean slate for a regression case: the tables vacuumed, so
    /// autovacuum does not start reading them in the middle of the next case,
    /// and the statistics reset (pg_stat_statements' too), so what one case read does not count in the next.
    public func settle() throws {
        let c = try db()
        // The data were loaded as of `lab up`; a lab up for an hour would look as if its
        // active tasks had stopped reporting, and its agents too. When they lag, the
        // latest round of results arrives, as on a live platform (a few thousand rows, at any scale).
        _ = try c.query(
            """
            SET default_transaction_read_only = off;
            INSERT INTO task_results (task_id, agent_id, execution_time, status, duration)
            SELECT t.id, t.agent_id, now() - (t.id % 600) * interval '1 second', 'success', round((5 + random() * 100)::numeric, 2)
            FROM tasks t
            WHERE t.status = 'active' AND (SELECT max(execution_time) FROM task_results) < now() - interval '10 minutes';
            UPDATE agents SET last_heartbeat = now() - (id % 7) * interval '1 second'
            WHERE status = 'online' AND last_heartbeat < now() - interval '1 minute'
            """, timeout: 120)
        _ = try c.query("VACUUM (ANALYZE) users, agents, tasks, task_results", timeout: 600)
        // This session's own counters (the vacuum's reads) reach the shared
        // statistics lazily; flush them first, or they land after the reset.
        _ = try c.query("SELECT pg_stat_force_next_flush()")
        _ = try c.query("SELECT pg_stat_reset()")
        // What earlier cases (or the lab's own upkeep above) ran slowly is not a slow query of the next.
        _ = try? c.query("SELECT pg_stat_statements_reset()")
    }

    /// Writing a data fault read the tables from disk, and took its time on
    /// a large lab: those reads and that statement are not part of the fault
    /// (they would look like a cold cache, or a slow query). The session's
    /// own counters are flushed first, or they land after the reset.
    func forgetReads(_ c: PostgresConnection) throws {
        _ = try c.query("SELECT pg_stat_force_next_flush()")
        _ = try c.query("SELECT pg_stat_reset()")
        _ = try? c.query("SELECT pg_stat_statements_reset()")
    }

    private func append(_ text: String, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let h = FileHandle(forWritingAtPath: path) else { throw LabError("cannot write \(path)") }
        defer { try? h.close() }
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
    }
}
