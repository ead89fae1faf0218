import Clients
import Foundation

/// The faults of the compose lab: the guide's container failures (a management container that stops at start
/// on its database, one killed at its memory limit, a port it cannot publish), and the process lab's
/// stopped services as stopped containers. Faults that live in a process of the lab's own (a hung or
/// misbehaving API, a damaged data directory it manages, its TLS) are not this lab's.
extension LabFaults {
    static let composeOnly: [LabFault] = [
        LabFault(
            name: "container-database-url",
            summary:
                "deployment/.env's DATABASE_URL names a database that does not exist; the management container, recreated, stops at start",
            expectation: "management-platform-down: the container stops because it cannot reach its database (its log), not only \"exited\""
        ),
        LabFault(
            name: "container-oom", summary: "the management container grows past its mem_limit and is killed (OOM), once",
            expectation: "management-platform-down: killed at its memory limit; restarted, it runs"),
    ]

    /// Process-lab faults a Compose deployment has no counterpart of here.
    static let notInCompose: Set<String> = [
        "postgres-damaged", "api-hung", "api-slow", "api-5xx", "api-db-misconfigured", "ws-broken", "tls-expiring",
    ]

    /// The service a stopped-server fault stops.
    static let stoppedServices = ["api-down": "management", "postgres-down": "postgres", "redis-down": "redis"]

    var compose: LabCompose { LabCompose(state: state, log: { _ in }) }

    /// The compose service's container as the engine has it now.
    func container(_ service: String) -> ContainerState? {
        guard case .success(let engine) = DockerEngine.locate(environment: ProcessInfo.processInfo.environment) else { return nil }
        return (try? engine.containers(project: LabCompose.project, timeout: 5))?.first { $0.service == service }
    }

    func composeIsActive(_ name: String) -> Bool {
        if let service = Self.stoppedServices[name] { return container(service)?.status != "running" }
        if name == "port-held" { return Daemon.readPID(file(name, "pid")).map(Daemon.isAlive) ?? false }
        return FileManager.default.fileExists(atPath: file(name, "on"))
    }

    /// Waits (up to 30 s) until the service's container is as `done` says.
    func waitContainer(_ service: String, _ what: String, until done: (ContainerState) -> Bool) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let c = container(service), done(c) { return }
            usleep(200_000)
        }
        throw LabError("the \(service) container did not come to be \(what) within 30 s")
    }

    func composeInject(_ name: String) throws {
        if let service = Self.stoppedServices[name] {
            try compose.compose(["stop", service])
            return
        }
        switch name {
        case "port-held":
            // Another program takes the published port while the container is down; started again, it cannot publish it.
            try compose.compose(["stop", "management"])
            try startHolder(name)
            _ = try? compose.compose(["start", "management"])
            try waitContainer("management", "stopped") { $0.status != "running" }
        case "container-database-url":
            try compose.environmentFile(database: "network_probe_prod").write(toFile: state.envFile, atomically: true, encoding: .utf8)
            try compose.compose(["up", "-d", "management"])
            // A loop, as an operator meets it: three restarts by its restart policy.
            try waitContainer("management", "in a restart loop") { $0.restartCount >= 3 }
        case "container-oom":
            // Once: the mark it leaves in its own layer makes the next start (a restart) a normal one.
            let serve = "exec /app/probe-api --listen 0.0.0.0:8000 --require-database"
            let override = """
                version: "2.4"
                services:
                  management:
                    command: ["/bin/sh", "-c", "if [ -e /tmp/grown ]; then \(serve); fi; touch /tmp/grown; \(serve) --allocate-mb 512"]
                    mem_limit: 128m
                    memswap_limit: 128m
                    restart: "no"

                """
            try override.write(toFile: compose.overrideFile, atomically: true, encoding: .utf8)
            try compose.compose(["up", "-d", "management"])
            try waitContainer("management", "killed at its limit") { $0.oomKilled && $0.status != "running" }
        default:
            try inject(name, composeChecked: true)
            return
        }
        _ = FileManager.default.createFile(atPath: file(name, "on"), contents: Data())
    }

    func composeClear(_ name: String) throws {
        if Self.notInCompose.contains(name) { return }
        if let service = Self.stoppedServices[name] {
            if container(service)?.status != "running" { try compose.compose(["start", service]) }
            if service == "postgres" { try LabPostgres(state: state, log: { _ in }).waitAccepting(seconds: 30) }
            if service == "management" { try compose.waitHealthy(seconds: 30) }
            return
        }
        switch name {
        case "port-held":
            if let pid = Daemon.readPID(file(name, "pid")) { Daemon.stop(pid) }
            for suffix in ["pid", "ready"] { try? FileManager.default.removeItem(atPath: file(name, suffix)) }
            if container("management")?.status != "running" { try compose.compose(["start", "management"]) }
            try compose.waitHealthy(seconds: 30)
        case "container-database-url":
            try compose.environmentFile().write(toFile: state.envFile, atomically: true, encoding: .utf8)
            if FileManager.default.fileExists(atPath: file(name, "on")) {
                try compose.compose(["up", "-d", "management"])
                try compose.waitHealthy(seconds: 30)
            }
        case "container-oom":
            if FileManager.default.fileExists(atPath: compose.overrideFile) {
                try FileManager.default.removeItem(atPath: compose.overrideFile)
                try compose.compose(["up", "-d", "management"])
                try compose.waitHealthy(seconds: 30)
            }
        default:
            try clear(name, composeChecked: true)
            return
        }
        try? FileManager.default.removeItem(atPath: file(name, "on"))
    }
}
