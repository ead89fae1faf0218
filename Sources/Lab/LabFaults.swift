import Foundation
import Probes
import RunbookKit

/// A fault the lab can inject, and what a correct diagnosis must find.
public struct LabFault: Sendable, Hashable {
    public var name: String
    public var summary: String
    /// What a runbook must report with this fault in place.
    public var expectation: String
}

/// Injecting and clearing the lab's faults.
public struct LabFaults: Sendable {
    public let state: LabState

    public init(state: LabState) { self.state = state }

    public static let all: [LabFault] = [
        LabFault(
            name: "idle-connections",
            summary: "an application pool that leaks: 80 idle connections held open",
            expectation: "db-connection-failure reports connections near max_connections and many idle ones"
        ),
        LabFault(
            name: "postgres-down",
            summary: "the lab's PostgreSQL stopped (its data kept)",
            expectation: "db-connection-failure reports the database unreachable (critical)"
        ),
    ]

    public static func named(_ name: String) -> LabFault? { all.first { $0.name == name } }

    /// The number of connections `idle-connections` holds.
    public static let idleConnectionCount = 80

    private func pidFile(_ name: String) -> String { state.faultsDir + "/\(name).pid" }

    public func isActive(_ name: String) -> Bool {
        switch name {
        case "postgres-down":
            return !LabPostgres(state: state, log: { _ in }).isRunning
        default:
            return Daemon.readPID(pidFile(name)).map(Daemon.isAlive) ?? false
        }
    }

    public func inject(_ name: String) throws {
        guard Self.named(name) != nil else {
            throw LabError("no fault `\(name)`; `rbsh lab faults` lists them")
        }
        guard !isActive(name) else { return }
        switch name {
        case "postgres-down":
            try LabPostgres(state: state, log: { _ in }).pause()
        default:
            let pid = try Daemon.start([Daemon.selfExecutable, "lab", "hold", name],
                                       environment: ["RBSH_LAB_DIR": state.directory], log: state.faultsDir + "/\(name).log")
            try "\(pid)\n".write(toFile: pidFile(name), atomically: true, encoding: .utf8)
            // Ready when the holder says so, or fail with what it said.
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if FileManager.default.fileExists(atPath: state.faultsDir + "/\(name).ready") { return }
                if !Daemon.isAlive(pid) {
                    let log = (try? String(contentsOfFile: state.faultsDir + "/\(name).log", encoding: .utf8)) ?? ""
                    throw LabError("fault \(name) did not start: \(log.split(separator: "\n").last ?? "no output")")
                }
                usleep(50_000)
            }
            throw LabError("fault \(name) did not become ready in 30 s")
        }
    }

    public func clear(_ name: String) throws {
        guard Self.named(name) != nil else {
            throw LabError("no fault `\(name)`; `rbsh lab faults` lists them")
        }
        switch name {
        case "postgres-down":
            if isActive(name) { try LabPostgres(state: state, log: { _ in }).resume() }
        default:
            if let pid = Daemon.readPID(pidFile(name)) { Daemon.stop(pid) }
            for suffix in ["pid", "ready"] { try? FileManager.default.removeItem(atPath: state.faultsDir + "/\(name).\(suffix)") }
        }
    }

    public func clearAll() {
        for fault in Self.all where fault.name != "postgres-down" { try? clear(fault.name) }
    }

    /// Runs in the `rbsh lab hold FAULT` process: sets the fault up and
    /// keeps it until the process is stopped.
    public func hold(_ name: String) throws -> Never {
        var keep: [AnyObject] = []
        switch name {
        case "idle-connections":
            let url = state.postgresURL
            for _ in 0..<Self.idleConnectionCount {
                let c = try PostgresConnection.connect(url, timeout: 10, applicationName: "network_probe_management")
                _ = try c.query("SELECT 1", timeout: 10)
                keep.append(c)
            }
        default:
            throw LabError("fault \(name) has nothing to hold")
        }
        _ = FileManager.default.createFile(atPath: state.faultsDir + "/\(name).ready", contents: Data())
        while true {
            withExtendedLifetime(keep) { _ = sleep(3600) }
        }
    }
}
