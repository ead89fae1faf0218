import Foundation
import Clients
import RunbookKit

/// A fault the lab can inject, and what a correct diagnosis must find.
public struct LabFault: Sendable, Hashable {
    public var name: String
    public var summary: String
    /// What a runbook must report with this fault in place.
    public var expectation: String
}

/// Injecting and clearing the lab's faults.
///
/// Three kinds: a holder process (`rbsh lab hold FAULT`) keeps connections
/// or a port as long as the fault is in; a change to the data or the
/// statistics, undone by its own clear; or a server stopped or restarted
/// differently. `rbsh lab faults` lists them.
public struct LabFaults: Sendable {
    public let state: LabState

    public init(state: LabState) { self.state = state }

    public static let all: [LabFault] = [
        LabFault(
            name: "idle-connections", summary: "an application pool that leaks: 80 idle connections held open",
            expectation:
                "db-connection-failure: connections near max_connections, many idle (idle older than the threshold with idle_minutes=0)"),
        LabFault(
            name: "postgres-down", summary: "the lab's PostgreSQL stopped (its data kept)",
            expectation: "db-connection-failure: the database unreachable (critical); management-platform-down: the API unhealthy"),
        LabFault(
            name: "lock-wait", summary: "a transaction holds a lock on tasks; an application update waits on it",
            expectation: "slow-response: a lock wait, showing the blocking and the blocked query"),
        LabFault(
            name: "slow-queries", summary: "statements averaging over a second in pg_stat_statements",
            expectation: "slow-response and performance-report: slow queries, by mean_exec_time"),
        LabFault(
            name: "dropped-index", summary: "the guide's idx_task_results_task_id_time dropped",
            expectation: "slow-response and index-review: the guide's index missing"),
        LabFault(
            name: "duplicate-results", summary: "task_results rows duplicated on (task_id, execution_time)",
            expectation: "data-inconsistency: duplicate results"),
        LabFault(
            name: "stale-tasks", summary: "active tasks with no result in the last hour",
            expectation: "data-inconsistency: active tasks with no recent results"),
        LabFault(
            name: "redis-low-hit-rate", summary: "Redis lookups that mostly miss",
            expectation: "performance-report and high-memory: a Redis hit rate under 90%"),
        LabFault(
            name: "redis-near-maxmemory", summary: "Redis filled close to its 64 MB maxmemory",
            expectation: "high-memory: Redis used_memory near maxmemory"),
        LabFault(
            name: "low-cache-hit-ratio", summary: "table reads that miss PostgreSQL's buffer cache",
            expectation: "performance-report: a cache hit ratio under 95%"),
        LabFault(
            name: "api-down", summary: "the management API stopped",
            expectation: "management-platform-down: the API does not answer and nothing holds its port"),
        LabFault(
            name: "port-held", summary: "the API stopped, and another process holding its port",
            expectation: "management-platform-down: the port taken by a process that is not the API"),
        LabFault(
            name: "ws-broken", summary: "the agents' WebSocket endpoint answers without upgrading",
            expectation: "websocket-failure: no WebSocket upgrade on /ws"),
        LabFault(
            name: "tls-expiring", summary: "the API's TLS certificate expires in 5 days",
            expectation: "websocket-failure: the certificate expires soon"),
    ]

    public static func named(_ name: String) -> LabFault? { all.first { $0.name == name } }

    /// The number of connections `idle-connections` holds.
    public static let idleConnectionCount = 80

    private func file(_ name: String, _ suffix: String) -> String { state.faultsDir + "/\(name).\(suffix)" }
    private var lab: Lab { Lab(directory: state.directory) }

    static let holders: Set<String> = ["idle-connections", "lock-wait", "port-held"]

    public func isActive(_ name: String) -> Bool {
        switch name {
        case "postgres-down":
            return !LabPostgres(state: state, log: { _ in }).isRunning
        case _ where Self.holders.contains(name):
            return Daemon.readPID(file(name, "pid")).map(Daemon.isAlive) ?? false
        default:
            return FileManager.default.fileExists(atPath: file(name, "on"))
        }
    }

    /// Why the fault cannot be injected into this lab's API flavour, if it cannot.
    public func inapplicable(_ name: String) -> String? {
        if name == "tls-expiring", !state.flavour.servesTLS {
            return "the \(state.flavour.rawValue) API serves no TLS: there is no certificate to expire"
        }
        return nil
    }

    public func inject(_ name: String) throws {
        guard Self.named(name) != nil else { throw LabError("no fault `\(name)`; `rbsh lab faults` lists them") }
        if let why = inapplicable(name) { throw LabError(why) }
        guard !isActive(name) else { return }
        switch name {
        case "postgres-down":
            try LabPostgres(state: state, log: { _ in }).pause()
            return
        case "port-held":
            lab.stopAPI(state)
            try startHolder(name)
            return
        case _ where Self.holders.contains(name):
            try startHolder(name)
            return
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
        case "duplicate-results":
            let c = try db()
            _ = try c.query(
                """
                INSERT INTO task_results (task_id, agent_id, execution_time, status, duration, result)
                SELECT task_id, agent_id, execution_time, status, duration, '{"lab_fault": "duplicate"}'::jsonb
                FROM task_results WHERE id % 2000 = 0
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
        case "api-down":
            lab.stopAPI(state)
        case "ws-broken":
            lab.stopAPI(state)
            try lab.startAPI(state, brokenWebSocket: true)
        case "tls-expiring":
            try LabCertificates(state: state).issue(days: 5)
            lab.stopAPI(state)
            try lab.startAPI(state)
        default:
            throw LabError("fault \(name) cannot be injected")
        }
        _ = FileManager.default.createFile(atPath: file(name, "on"), contents: Data())
    }

    public func clear(_ name: String) throws {
        guard Self.named(name) != nil else { throw LabError("no fault `\(name)`; `rbsh lab faults` lists them") }
        switch name {
        case "postgres-down":
            if isActive(name) { try LabPostgres(state: state, log: { _ in }).resume() }
            return
        case _ where Self.holders.contains(name):
            if let pid = Daemon.readPID(file(name, "pid")) { Daemon.stop(pid) }
            for suffix in ["pid", "ready"] { try? FileManager.default.removeItem(atPath: file(name, suffix)) }
            if name == "port-held", Daemon.readPID(state.apiPID).map(Daemon.isAlive) != true { try lab.startAPI(state) }
            return
        default:
            break
        }
        // Every clear puts things back whether or not the inject finished.
        switch name {
        case "slow-queries":
            _ = try db().query("SELECT pg_stat_statements_reset()")
        case "dropped-index":
            _ = try db().query(
                "CREATE INDEX IF NOT EXISTS idx_task_results_task_id_time ON task_results (task_id, execution_time DESC)", timeout: 120)
        case "duplicate-results":
            _ = try db().query("DELETE FROM task_results WHERE result->>'lab_fault' = 'duplicate'", timeout: 60)
        case "stale-tasks":
            _ = try db().query("DELETE FROM tasks WHERE name LIKE 'lab-fault-stale-%'")
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
        case "api-down":
            if Daemon.readPID(state.apiPID).map(Daemon.isAlive) != true { try lab.startAPI(state) }
        case "ws-broken":
            let running = Daemon.readPID(state.apiPID).map { pid in
                (FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()).range(of: Data("--broken-websocket".utf8)) == nil
            }
            if running != true {
                lab.stopAPI(state)
                try lab.startAPI(state)
            }
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
        try? FileManager.default.removeItem(atPath: file(name, "on"))
    }

    /// A clean slate for a regression case: the tables vacuumed, so
    /// autovacuum does not start reading them in the middle of the next case,
    /// and the statistics reset (pg_stat_statements' too), so what one case read does not count in the next.
    public func settle() throws {
        let c = try db()
        // The data were loaded as of `lab up`; a lab up for an hour would look as if its
        // active tasks had stopped reporting. Bring the results forward to now when they lag.
        _ = try c.query(
            """
            SET default_transaction_read_only = off;
            UPDATE task_results SET execution_time = execution_time + s.lag
            FROM (SELECT now() - max(execution_time) AS lag FROM task_results) s
            WHERE s.lag > interval '10 minutes'
            """, timeout: 120)
        _ = try c.query("VACUUM (ANALYZE) users, agents, tasks, task_results", timeout: 120)
        // This session's own counters (the vacuum's reads) reach the shared
        // statistics lazily; flush them first, or they land after the reset.
        _ = try c.query("SELECT pg_stat_force_next_flush()")
        _ = try c.query("SELECT pg_stat_reset()")
        // What earlier cases (or the lab's own upkeep above) ran slowly is not a slow query of the next.
        _ = try? c.query("SELECT pg_stat_statements_reset()")
    }

    /// Writing a data fault read the tables from disk: those reads are not
    /// part of the fault (they would look like a cold cache). The session's
    /// own counters are flushed first, or they land after the reset.
    private func forgetReads(_ c: PostgresConnection) throws {
        _ = try c.query("SELECT pg_stat_force_next_flush()")
        _ = try c.query("SELECT pg_stat_reset()")
    }

    public func clearAll() {
        for fault in Self.all where fault.name != "postgres-down" { try? clear(fault.name) }
    }

    private func db() throws -> PostgresConnection { try PostgresConnection.connect(state.postgresURL, timeout: 10) }
    private func redis() throws -> RedisConnection { try RedisConnection.connect(try RedisURL(parsing: state.redisURL), timeout: 10) }

    private func startHolder(_ name: String) throws {
        let pid = try Daemon.start(
            [Daemon.selfExecutable, "lab", "hold", name],
            environment: ["RBSH_LAB_DIR": state.directory], log: file(name, "log"))
        try "\(pid)\n".write(toFile: file(name, "pid"), atomically: true, encoding: .utf8)
        // Ready when the holder says so, or fail with what it said.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: file(name, "ready")) { return }
            if !Daemon.isAlive(pid) {
                let log = (try? String(contentsOfFile: file(name, "log"), encoding: .utf8)) ?? ""
                throw LabError("fault \(name) did not start: \(log.split(separator: "\n").last ?? "no output")")
            }
            usleep(50_000)
        }
        throw LabError("fault \(name) did not become ready in 30 s")
    }

    /// Runs in the `rbsh lab hold FAULT` process: sets the fault up and
    /// keeps it until the process is stopped.
    public func hold(_ name: String) throws -> Never {
        var keep: [AnyObject] = []
        switch name {
        case "idle-connections":
            for _ in 0..<Self.idleConnectionCount {
                let c = try PostgresConnection.connect(state.postgresURL, timeout: 10, applicationName: "network_probe_management")
                _ = try c.query("SELECT 1", timeout: 10)
                keep.append(c)
            }
        case "lock-wait":
            let blocker = try PostgresConnection.connect(state.postgresURL, timeout: 10, applicationName: "lab-maintenance")
            _ = try blocker.query("BEGIN; UPDATE tasks SET interval_seconds = interval_seconds WHERE id = 1", timeout: 10)
            let waiter = try PostgresConnection.connect(state.postgresURL, timeout: 10, applicationName: "network_probe_management")
            try waiter.sendWithoutWaiting("UPDATE tasks SET status = status WHERE id = 1")
            keep += [blocker, waiter]
            // Ready once the waiter is seen waiting.
            let observer = try PostgresConnection.connect(state.postgresURL, timeout: 10)
            for _ in 0..<100 {
                let r = try observer.query("SELECT count(*) FROM pg_locks WHERE NOT granted")
                if r.rows.first?.first != "0" { break }
                usleep(50_000)
            }
        case "port-held":
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(state.apiPort).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(fd, 16) == 0 else {
                throw LabError("cannot hold port \(state.apiPort): \(String(cString: strerror(errno)))")
            }
        // It accepts and says nothing, as a stray process on the wrong port would.
        default:
            throw LabError("fault \(name) has nothing to hold")
        }
        _ = FileManager.default.createFile(atPath: file(name, "ready"), contents: Data())
        while true {
            withExtendedLifetime(keep) { _ = sleep(3600) }
        }
    }
}
