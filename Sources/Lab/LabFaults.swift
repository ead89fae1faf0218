import Clients
import Foundation
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
/// Four kinds: a holder process (`rbsh lab hold FAULT`) keeps connections
/// or a port as long as the fault is in (LabFaults+Holders); a change to
/// the data, the statistics or the files, undone by its own clear
/// (LabFaults+Data); a server stopped or damaged; or the API run with a
/// fault of its own (an `APIBehaviour`), which restarting it clears, as
/// restarting a real service would. `rbsh lab faults` lists them.
public struct LabFaults: Sendable {
    public let state: LabState

    public init(state: LabState) { self.state = state }

    public static let all: [LabFault] =
        [
            LabFault(
                name: "idle-connections", summary: "an application pool that leaks: 80 idle connections held open",
                expectation:
                    "db-connection-failure: connections near max_connections, many idle (idle older than the threshold with idle_minutes=0)"
            ),
            LabFault(
                name: "postgres-down", summary: "the lab's PostgreSQL stopped (its data kept)",
                expectation: "db-connection-failure: the database unreachable (critical); management-platform-down: the API unhealthy"),
            LabFault(
                name: "postgres-damaged", summary: "PostgreSQL cannot start: its control file is gone (the data directory damaged)",
                expectation: "db-connection-failure: unreachable, and the server log says its data is damaged (the guide's rebuild)"),
            LabFault(
                name: "lock-wait", summary: "a transaction holds a lock on tasks; an application update waits on it",
                expectation: "slow-response: a lock wait, showing the blocking and the blocked query"),
            LabFault(
                name: "table-locked", summary: "a session holds ACCESS EXCLUSIVE on task_results (a stuck ALTER TABLE)",
                expectation: "slow-response: the lock and its holder; no diagnostic waits behind it"),
            LabFault(
                name: "slow-queries", summary: "statements averaging over a second in pg_stat_statements",
                expectation: "slow-response and performance-report: slow queries, by mean_exec_time"),
            LabFault(
                name: "pool-exhausted", summary: "all 20 of the application's connections busy on long statements",
                expectation: "slow-response: the application's connections all busy (the guide's larger pool)"),
            LabFault(
                name: "stale-statistics", summary: "tasks rewritten with autovacuum off: dead rows and statistics never refreshed",
                expectation: "slow-response: tables overdue for VACUUM ANALYZE"),
            LabFault(
                name: "invalid-index", summary: "an index on task_results left INVALID by a cancelled CREATE INDEX CONCURRENTLY",
                expectation: "slow-response and data-inconsistency: an invalid index to rebuild (the guide's REINDEX)"),
            LabFault(
                name: "dropped-index", summary: "the guide's idx_task_results_task_id_time dropped",
                expectation: "slow-response and index-review: no index covers task_results (task_id, execution_time)"),
            LabFault(
                name: "indexes-renamed", summary: "the guide's indexes present under other names (a healthy look-alike)",
                expectation: "nothing above info: indexes are judged by their columns, not their names"),
            LabFault(
                name: "duplicate-results", summary: "task_results rows duplicated on (task_id, execution_time)",
                expectation: "data-inconsistency: duplicate results"),
            LabFault(
                name: "stale-tasks", summary: "active tasks with no result in the last hour",
                expectation: "data-inconsistency: active tasks with no recent results"),
            LabFault(
                name: "redis-down", summary: "the lab's Redis stopped",
                expectation: "high-memory: Redis does not answer; the API reports Redis down"),
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
                name: "port-held", summary: "another program (speaking another protocol) on the API's port; the API failed to bind",
                expectation: "management-platform-down: the port held by a program that answers another protocol"),
            LabFault(
                name: "api-hung", summary: "the API's process stopped (SIGSTOP): its port accepts, nothing answers",
                expectation: "management-platform-down: the API hung, its own process on its port; no fix that stops another"),
            LabFault(
                name: "api-slow", summary: "the API answers correctly, in six seconds",
                expectation: "slow-response: the API over the guide's 5 s; nothing says another program holds its port"),
            LabFault(
                name: "api-5xx", summary: "the API's health endpoint answers HTTP 500; PostgreSQL and Redis are fine",
                expectation: "management-platform-down: the API answers HTTP 500"),
            LabFault(
                name: "api-db-misconfigured", summary: "the API connects to PostgreSQL with a wrong password; PostgreSQL is fine",
                expectation: "management-platform-down: the API reports its database down while PostgreSQL accepts connections"),
            LabFault(
                name: "env-missing-database-url", summary: "the deployment's .env lost its DATABASE_URL",
                expectation: "management-platform-down: DATABASE_URL missing from the environment file"),
            LabFault(
                name: "ws-broken", summary: "the agents' WebSocket endpoint answers without upgrading",
                expectation: "websocket-failure: no WebSocket upgrade on /ws"),
            LabFault(
                name: "tls-expiring", summary: "the API's TLS certificate expires in 5 days",
                expectation: "websocket-failure: the certificate expires soon"),
            LabFault(
                name: "agents-offline", summary: "the online agents stopped sending heartbeats half an hour ago",
                expectation: "websocket-failure: agents silent while /ws upgrades (the guide's agent restart)"),
            LabFault(
                name: "agent-auth-failing", summary: "the agent's log is full of 401s: its token is refused",
                expectation: "websocket-failure: authentication failures in the agent's log (the guide's agent configuration)"),
        ] + composeOnly

    public static func named(_ name: String) -> LabFault? { all.first { $0.name == name } }

    /// The number of connections `idle-connections` holds.
    public static let idleConnectionCount = 80
    /// The number of the application's connections `pool-exhausted` keeps busy.
    public static let busyConnectionCount = 20

    func file(_ name: String, _ suffix: String) -> String { state.faultsDir + "/\(name).\(suffix)" }
    var lab: Lab { Lab(directory: state.directory) }

    static let holders: Set<String> = ["idle-connections", "lock-wait", "port-held", "table-locked", "pool-exhausted"]

    /// The faults that are a way the API runs, and the behaviour each asks of it.
    static let apiFaults: [String: APIBehaviour] = [
        "ws-broken": APIBehaviour(brokenWebSocket: true),
        "api-slow": APIBehaviour(delayMilliseconds: 6_000),
        "api-5xx": APIBehaviour(healthError: true),
        "api-db-misconfigured": APIBehaviour(wrongDatabasePassword: true),
    ]

    public func isActive(_ name: String) -> Bool {
        if state.flavour.isCompose {
            if Self.notInCompose.contains(name) { return false }
            if Self.stoppedServices[name] != nil || name == "port-held" || Self.composeOnly.contains(where: { $0.name == name }) {
                return composeIsActive(name)
            }
        }
        switch name {
        case "postgres-down":
            return !LabPostgres(state: state, log: { _ in }).isRunning && !isActive("postgres-damaged")
        case "postgres-damaged":
            return FileManager.default.fileExists(atPath: LabPostgres(state: state, log: { _ in }).controlFileAside)
        case "redis-down":
            return !LabRedis(state: state, log: { _ in }).isRunning
        case "api-hung":
            return Daemon.readPID(state.apiPID).map(Daemon.isStopped) ?? false
        case _ where Self.holders.contains(name):
            return Daemon.readPID(file(name, "pid")).map(Daemon.isAlive) ?? false
        case _ where Self.apiFaults[name] != nil:
            guard let running = lab.apiBehaviour(state), let wanted = Self.apiFaults[name] else { return false }
            return APIBehaviour(arguments: running.arguments + wanted.arguments) == running
        default:
            return FileManager.default.fileExists(atPath: file(name, "on"))
        }
    }

    /// Why the fault cannot be injected into this lab's API flavour, if it cannot.
    public func inapplicable(_ name: String) -> String? {
        if state.flavour.isCompose, Self.notInCompose.contains(name) {
            return "the compose lab's services are containers: no lab process of its own to hang, slow, misconfigure or serve TLS"
        }
        if !state.flavour.isCompose, Self.composeOnly.contains(where: { $0.name == name }) {
            return "only the compose lab runs the platform in containers"
        }
        if name == "tls-expiring", !state.flavour.servesTLS {
            return "the \(state.flavour.rawValue) API serves no TLS: there is no certificate to expire"
        }
        return nil
    }

    public func inject(_ name: String, composeChecked: Bool = false) throws {
        guard Self.named(name) != nil else { throw LabError("no fault `\(name)`; `rbsh lab faults` lists them") }
        if let why = inapplicable(name) { throw LabError(why) }
        guard !isActive(name) else { return }
        if state.flavour.isCompose, !composeChecked { return try composeInject(name) }
        if let behaviour = Self.apiFaults[name] {
            lab.stopAPI(state)
            try lab.startAPI(state, behaviour: behaviour)
            return
        }
        switch name {
        case "postgres-down":
            try LabPostgres(state: state, log: { _ in }).pause()
        case "postgres-damaged":
            try LabPostgres(state: state, log: { _ in }).damage()
        case "redis-down":
            LabRedis(state: state, log: { _ in }).stop()
        case "api-down":
            lab.stopAPI(state)
            _ = FileManager.default.createFile(atPath: file(name, "on"), contents: Data())
        case "api-hung":
            guard let pid = Daemon.readPID(state.apiPID), Daemon.isAlive(pid) else { throw LabError("the API is not running") }
            kill(pid, SIGSTOP)
        case "port-held":
            lab.stopAPI(state)
            try startHolder(name)
            // The API's service starts it again; it cannot bind, and says so in its log.
            try lab.startAPI(state, waitHealthy: false)
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, Daemon.readPID(state.apiPID).map(Daemon.isAlive) == true { usleep(50_000) }
            try? FileManager.default.removeItem(atPath: state.apiPID)
        case _ where Self.holders.contains(name):
            try startHolder(name)
        default:
            try injectData(name)
            _ = FileManager.default.createFile(atPath: file(name, "on"), contents: Data())
        }
    }

    public func clear(_ name: String, composeChecked: Bool = false) throws {
        guard Self.named(name) != nil else { throw LabError("no fault `\(name)`; `rbsh lab faults` lists them") }
        if state.flavour.isCompose, !composeChecked { return try composeClear(name) }
        if Self.apiFaults[name] != nil {
            if isActive(name) { try lab.restartAPI(state, resetting: true) }
            return
        }
        switch name {
        case "postgres-down":
            if isActive(name) { try LabPostgres(state: state, log: { _ in }).resume() }
        case "postgres-damaged":
            if isActive(name) { try LabPostgres(state: state, log: { _ in }).repair() }
        case "redis-down":
            if isActive(name) { try LabRedis(state: state, log: { _ in }).start() }
        case "api-hung":
            if isActive(name) { try lab.restartAPI(state) }
        case "api-down":
            if Daemon.readPID(state.apiPID).map(Daemon.isAlive) != true { try lab.startAPI(state) }
            try? FileManager.default.removeItem(atPath: file(name, "on"))
        case _ where Self.holders.contains(name):
            if let pid = Daemon.readPID(file(name, "pid")) { Daemon.stop(pid) }
            for suffix in ["pid", "ready"] { try? FileManager.default.removeItem(atPath: file(name, suffix)) }
            // A statement the holder left running ends with it; and if the server has not noticed yet, now.
            _ = try? db().query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE 'SELECT pg_sleep(3600) /*%'"
            )
            if name == "port-held", Daemon.readPID(state.apiPID).map(Daemon.isAlive) != true { try lab.startAPI(state) }
        default:
            // Every clear puts things back whether or not the inject finished.
            try clearData(name)
            try? FileManager.default.removeItem(atPath: file(name, "on"))
        }
    }

    /// Restarts one of the lab's services as its service manager would, for
    /// the runbooks' fixes (`services.NAME.restart`): `api` (a fresh process
    /// with no fault of its own), `postgres`, `redis`, or `agents` (the lab
    /// has no agent process: their heartbeats resume, as after a restart).
    public func restart(_ service: String) throws {
        let containers = ["api": "management", "management": "management", "postgres": "postgres", "redis": "redis"]
        if state.flavour.isCompose, let name = containers[service] {
            try compose.compose(["restart", name])
            return
        }
        switch service {
        case "api", "management":
            try lab.restartAPI(state)
        case "postgres":
            let pg = LabPostgres(state: state, log: { _ in })
            if pg.isRunning { try pg.pause() }
            try pg.resume()
        case "redis":
            let redis = LabRedis(state: state, log: { _ in })
            redis.stop()
            try redis.start()
        case "agents", "agent":
            try clearData("agents-offline")
            try? FileManager.default.removeItem(atPath: file("agents-offline", "on"))
        default:
            throw LabError("the lab has no service `\(service)`: api, postgres, redis or agents")
        }
    }

    public func clearAll() {
        for fault in Self.all where fault.name != "postgres-down" { try? clear(fault.name) }
    }

    func db() throws -> PostgresConnection { try PostgresConnection.connect(state.postgresURL, timeout: 10) }
    func redis() throws -> RedisConnection { try RedisConnection.connect(try RedisURL(parsing: state.redisURL), timeout: 10) }
}
