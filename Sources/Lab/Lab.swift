import Foundation
import Clients
import OutputCapture
import RunbookKit

/// The local lab: a throwaway PostgreSQL cluster, a Redis server and the
/// management API stub on loopback ports of their own, with data under a
/// folder the lab owns, so every runbook can be tried for real.
public struct Lab: Sendable {
    public var directory: String
    /// Progress lines, for the operator.
    public var log: @Sendable (String) -> Void

    public init(directory: String = LabState.defaultDirectory, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.directory = directory
        self.log = log
    }

    public var state: LabState? { LabState.load(directory: directory) }

    // MARK: - up

    @discardableResult
    public func up(flavour: APIFlavour = .nested) throws -> LabState {
        if var existing = state {
            let s = status(existing)
            if s.allSatisfy(\.running) {
                log("the lab is already up")
                if existing.flavour != flavour { try switchAPI(&existing, to: flavour) }
                // A lab left up stops looking live (no new results, old heartbeats);
                // with no fault in, its latest round arrives, as on a live platform.
                let faults = LabFaults(state: existing)
                if !LabFaults.all.contains(where: { faults.isActive($0.name) }) { try faults.settle() }
                return existing
            }
            log("the lab is partly up; restarting it")
            down()
        }
        let state = LabState(
            directory: directory,
            postgresPort: LabState.port("RBSH_LAB_PG_PORT", default: 15432),
            redisPort: LabState.port("RBSH_LAB_REDIS_PORT", default: 16379),
            apiPort: LabState.port("RBSH_LAB_API_PORT", default: 18000),
            apiTLSPort: LabState.port("RBSH_LAB_API_TLS_PORT", default: 18443),
            password: Self.randomPassword(),
            startedAt: Date(),
            flavour: flavour
        )
        for (name, port) in [
            ("PostgreSQL", state.postgresPort), ("Redis", state.redisPort), ("the API stub", state.apiPort),
            ("the API stub's TLS", state.apiTLSPort),
        ] {
            if (try? TCPSocket.connect(host: "127.0.0.1", port: port, timeout: 0.5)) != nil {
                throw LabError("port \(port) for \(name) is already in use; stop what holds it or set RBSH_LAB_*_PORT")
            }
        }
        try FileManager.default.createDirectory(atPath: state.faultsDir, withIntermediateDirectories: true)
        chmod(directory, 0o755)
        if flavour.isCompose {
            do {
                try state.save()
                try LabCompose(state: state, log: log).up()
                try writeAgentLog(state)
            } catch {
                log("start failed; stopping what did start")
                down()
                throw error
            }
            return state
        }
        do {
            try state.save()
            try LabPostgres(state: state, log: log).start()
            try LabRedis(state: state, log: log).start()
            try LabCertificates(state: state).issue(days: 365)
            try startAPI(state)
            try FileManager.default.createDirectory(
                atPath: (state.envFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try state.deploymentEnvironment(withDatabaseURL: true).write(toFile: state.envFile, atomically: true, encoding: .utf8)
            chmod(state.envFile, 0o600)
            try writeAgentLog(state)
        } catch {
            log("start failed; stopping what did start")
            down()
            throw error
        }
        return state
    }

    /// The agent service's log as an agent writes it: the lab has no agent process.
    func writeAgentLog(_ state: LabState) throws {
        let started = ISO8601DateFormatter().string(from: Date())
        try "\(started) network-probe-agent[812]: connected to wss://platform/ws\n".write(
            toFile: state.agentLog, atomically: true, encoding: .utf8)
    }

    // MARK: - down

    /// Stops everything the lab started and removes its folder. Safe to call twice.
    public func down() {
        guard let state = LabState.load(directory: directory) else {
            log("the lab is not up")
            return
        }
        LabFaults(state: state).clearAll()
        if state.flavour.isCompose { LabCompose(state: state, log: log).down() }
        if let pid = Daemon.readPID(state.apiPID) { Daemon.stop(pid) }
        LabRedis(state: state, log: log).stop()
        LabPostgres(state: state, log: log).stop()
        try? FileManager.default.removeItem(atPath: directory)
        log("the lab is down")
    }

    // MARK: - status

    public struct ComponentStatus: Sendable, Hashable {
        public var name: String
        public var running: Bool
        public var detail: String
    }

    public func status(_ state: LabState) -> [ComponentStatus] {
        func listening(_ port: Int) -> Bool { (try? TCPSocket.connect(host: "127.0.0.1", port: port, timeout: 1)) != nil }
        let pg = listening(state.postgresPort)
        let redis = listening(state.redisPort)
        let apiPID = Daemon.readPID(state.apiPID)
        let api =
            (state.flavour.isCompose || apiPID.map(Daemon.isAlive) == true) && listening(state.apiPort)
            && (!state.flavour.servesTLS || listening(state.apiTLSPort))
        return [
            ComponentStatus(name: "postgres", running: pg, detail: Redaction.redactURL(state.postgresURL)),
            ComponentStatus(name: "redis", running: redis, detail: Redaction.redactURL(state.redisURL)),
            ComponentStatus(
                name: "api", running: api,
                detail: (state.flavour.servesTLS ? "\(state.apiURL), \(state.apiTLSURL)" : state.apiURL) + " (\(state.flavour.rawValue))"),
        ]
    }

    // MARK: - the API stub

    /// Starts the API of the lab's flavour, behaving as asked (a fault in the API itself).
    /// `waitHealthy: false` returns once it is started (it may fail to bind, as the port-held fault wants).
    func startAPI(_ state: LabState, behaviour: APIBehaviour = .normal, waitHealthy: Bool = true) throws {
        let argv: [String]
        let environment: [String: String]
        switch state.flavour {
        case .nested:
            argv =
                [
                    Daemon.selfExecutable, "lab", "serve-api", "--port", String(state.apiPort), "--tls-port", String(state.apiTLSPort),
                    "--certificate", state.serverCertificate, "--key", state.serverKey,
                ] + behaviour.arguments
            environment = ["RBSH_LAB_DATABASE_URL": state.postgresURL, "RBSH_LAB_REDIS_URL": state.redisURL]
        case .compose:
            // Its management service is a container: a fault's clear starts it as Compose does.
            try LabCompose(state: state, log: log).compose(["up", "-d", "management"])
            if waitHealthy { try LabCompose(state: state, log: log).waitHealthy(seconds: 30) }
            return
        case .actuator:
            // A process of its own name and command line, configured the way applications usually are.
            let fm = FileManager.default
            try? fm.createDirectory(atPath: (state.apiProgram as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if (try? fm.destinationOfSymbolicLink(atPath: state.apiProgram)) != Daemon.selfExecutable {
                try? fm.removeItem(atPath: state.apiProgram)
                try fm.createSymbolicLink(atPath: state.apiProgram, withDestinationPath: Daemon.selfExecutable)
            }
            argv = [state.apiProgram, "--listen", "127.0.0.1:\(state.apiPort)"] + behaviour.arguments
            environment = ["DATABASE_URL": state.postgresURL, "REDIS_URL": state.redisURL]
        }
        let pid = try Daemon.start(argv, environment: environment, log: state.apiLog)
        try "\(pid)\n".write(toFile: state.apiPID, atomically: true, encoding: .utf8)
        guard waitHealthy else { return }
        // Up when it answers healthy; one started with a fault of its own (slow, failing) when it listens.
        let deadline = Date().addingTimeInterval(10)
        let faulty = behaviour != .normal && behaviour != APIBehaviour(brokenWebSocket: true)
        while Date() < deadline {
            if faulty, (try? TCPSocket.connect(host: "127.0.0.1", port: state.apiPort, timeout: 1)) != nil {
                log("API stub on \(state.apiURL) (pid \(pid)), started with a fault")
                return
            }
            if !faulty, let r = try? HTTPClient.request(url: state.apiURL + "/api/v1/health", timeout: 2), r.status == 200 {
                log("API stub on \(state.apiURL) (pid \(pid))")
                return
            }
            if !Daemon.isAlive(pid) { break }
            usleep(100_000)
        }
        let tail =
            (try? String(contentsOfFile: state.apiLog, encoding: .utf8))?.split(separator: "\n").suffix(3).joined(separator: " | ") ?? ""
        throw LabError("the API stub did not become healthy: \(tail)")
    }

    /// Serves the other API flavour on a lab that is up: the API restarted, the state saved.
    public func switchAPI(_ state: inout LabState, to flavour: APIFlavour) throws {
        guard state.flavour != flavour else { return }
        guard !state.flavour.isCompose, !flavour.isCompose else {
            throw LabError("the compose lab is a deployment of its own: `rbsh lab down`, then `rbsh lab up --flavour \(flavour.rawValue)`")
        }
        stopAPI(state)
        state.flavour = flavour
        try state.save()
        log("serving the \(flavour.rawValue) API: \(flavour.summary)")
        try startAPI(state)
    }

    /// What the running API was started to do, or nil when none runs.
    func apiBehaviour(_ state: LabState) -> APIBehaviour? {
        guard let pid = Daemon.readPID(state.apiPID), Daemon.isAlive(pid),
            let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
        else { return nil }
        return APIBehaviour(arguments: data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
    }

    /// Restarts the API as a service manager would: whatever state it was
    /// in (stopped, hung, misbehaving), a fresh process; with its
    /// configuration as it was (a wrong database password survives a
    /// restart), unless `resetting` puts the lab's own back.
    public func restartAPI(_ state: LabState, resetting: Bool = false) throws {
        let configured = apiBehaviour(state).map { APIBehaviour(wrongDatabasePassword: $0.wrongDatabasePassword) } ?? .normal
        if let pid = Daemon.readPID(state.apiPID) { kill(pid, SIGCONT) }
        stopAPI(state)
        try startAPI(state, behaviour: resetting ? .normal : configured)
    }

    /// Loads `times` as much task history into a lab that is up (`rbsh lab scale`).
    public func scale(_ state: LabState, times: Int) throws {
        try LabPostgres(state: state, log: log).scale(times: times)
    }

    /// Stops the API stub (its port is free afterwards).
    func stopAPI(_ state: LabState) {
        if state.flavour.isCompose {
            _ = try? LabCompose(state: state, log: log).compose(["stop", "management"])
            return
        }
        if let pid = Daemon.readPID(state.apiPID) {
            kill(pid, SIGCONT)
            Daemon.stop(pid)
        }
        try? FileManager.default.removeItem(atPath: state.apiPID)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, (try? TCPSocket.connect(host: "127.0.0.1", port: state.apiPort, timeout: 0.2)) != nil { usleep(20_000) }
    }

    static func randomPassword() -> String {
        var g = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<24).map { _ in alphabet[Int(g.next(upperBound: UInt64(alphabet.count)))] })
    }
}

/// Runs lab commands, as the PostgreSQL user where the lab runs as root.
struct LabCommand {
    static func run(_ argv: [String], asUser user: String? = nil, timeout: Double = 120) throws -> String {
        var full = argv
        if let user, getuid() == 0 {
            full = ["runuser", "-u", user, "--"] + argv
        }
        let outcome = ShellRunner(captureLimit: 1 << 16).run(argv: full, timeout: timeout)
        guard case .exited(0) = outcome.ending else {
            let text = outcome.output.text.split(whereSeparator: \.isNewline).suffix(3).joined(separator: " | ")
            throw LabError(
                "`\(argv.map { URL(fileURLWithPath: $0).lastPathComponent }.prefix(2).joined(separator: " "))` failed: \(text.isEmpty ? "\(outcome.ending)" : text)"
            )
        }
        return outcome.output.text
    }
}
