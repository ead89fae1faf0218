import Foundation

/// What the engine says of one container (`GET /containers/{id}/json`), in the terms a finding reads.
public struct ContainerState: Sendable, Hashable {
    public var id: String
    /// Its name without the leading `/`.
    public var name: String
    /// Its Compose project and service, from its labels (empty when it has none).
    public var project: String
    public var service: String
    /// Where its Compose files are (`com.docker.compose.project.working_dir`), empty when not said.
    public var workingDirectory: String
    /// created, running, paused, restarting, removing, exited or dead.
    public var status: String
    public var exitCode: Int
    public var oomKilled: Bool
    public var restartCount: Int
    /// healthy, unhealthy, starting, or empty when it has no health check.
    public var health: String
    public var startedAt: String
    /// Why the engine could not start it (a port already taken, a missing mount), or empty.
    public var error: String
    /// Its memory limit in bytes (0: none).
    public var memoryLimit: Double

    public init(inspected object: [String: Any]) {
        let state = object["State"] as? [String: Any] ?? [:]
        let config = object["Config"] as? [String: Any] ?? [:]
        let labels = config["Labels"] as? [String: String] ?? [:]
        let host = object["HostConfig"] as? [String: Any] ?? [:]
        id = object["Id"] as? String ?? ""
        name = String((object["Name"] as? String ?? "").drop { $0 == "/" })
        project = labels["com.docker.compose.project"] ?? ""
        service = labels["com.docker.compose.service"] ?? ""
        workingDirectory = labels["com.docker.compose.project.working_dir"] ?? ""
        status = state["Status"] as? String ?? ""
        exitCode = (state["ExitCode"] as? NSNumber)?.intValue ?? 0
        oomKilled = (state["OOMKilled"] as? NSNumber)?.boolValue ?? false
        restartCount = (object["RestartCount"] as? NSNumber)?.intValue ?? 0
        health = (state["Health"] as? [String: Any])?["Status"] as? String ?? ""
        startedAt = state["StartedAt"] as? String ?? ""
        error = state["Error"] as? String ?? ""
        memoryLimit = (host["Memory"] as? NSNumber)?.doubleValue ?? 0
    }

    /// Its last start as a Unix time (seconds), when the engine says it started.
    public var startedEpoch: Int? {
        guard startedAt.count >= 19, !startedAt.hasPrefix("0001") else { return nil }
        return ISO8601DateFormatter().date(from: String(startedAt.prefix(19)) + "Z").map { Int($0.timeIntervalSince1970) }
    }
}
