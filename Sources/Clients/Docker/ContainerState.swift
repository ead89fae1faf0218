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
    /// When its last run ended (while it runs again, its previous run's), or `0001-01-01T00:00:00Z`.
    public var finishedAt: String
    /// Why the engine could not start it (a port already taken, a missing mount), or empty.
    public var error: String
    /// Its memory limit in bytes (0: none).
    public var memoryLimit: Double
    /// The file its json-file log is kept in on the engine's machine (empty for another log driver, or unknown).
    public var logPath: String = ""
    /// Its main process on the engine's machine (0 when it is not running, or unknown).
    public var pid: Int = 0
    /// Whether this is the engine's inspection of it; when false, only what the engine's list says (its name,
    /// labels, state, health and exit code): restarts, OOM kill, start time, error and limit are not known.
    public var inspected = true

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
        finishedAt = state["FinishedAt"] as? String ?? ""
        error = state["Error"] as? String ?? ""
        memoryLimit = (host["Memory"] as? NSNumber)?.doubleValue ?? 0
        logPath = object["LogPath"] as? String ?? ""
        pid = (state["Pid"] as? NSNumber)?.intValue ?? 0
    }

    /// The size of its log file in bytes, where this machine can read it (the engine's own machine, as root or
    /// with access to the engine's folder); nil elsewhere.
    public var logBytes: Double? {
        guard !logPath.isEmpty, let attributes = try? FileManager.default.attributesOfItem(atPath: logPath) else { return nil }
        return (attributes[.size] as? NSNumber)?.doubleValue
    }

    /// What the engine's list (`GET /containers/json`) says of it: read without waiting on the container, so
    /// it is there while an inspection waits for the engine to finish starting it.
    public init(listed item: [String: Any]) {
        let labels = item["Labels"] as? [String: String] ?? [:]
        let words = item["Status"] as? String ?? ""
        id = item["Id"] as? String ?? ""
        name = (item["Names"] as? [String])?.first.map { String($0.drop { $0 == "/" }) } ?? ""
        project = labels["com.docker.compose.project"] ?? ""
        service = labels["com.docker.compose.service"] ?? ""
        workingDirectory = labels["com.docker.compose.project.working_dir"] ?? ""
        status = item["State"] as? String ?? ""
        // `Exited (1) 3 seconds ago`, `Restarting (1) Less than a second ago`, `Up 2 minutes (unhealthy)`.
        exitCode = Self.parenthesised(words).compactMap { Int($0) }.first ?? 0
        health =
            Self.parenthesised(words).compactMap { p in
                p == "healthy" || p == "unhealthy" ? p : (p == "health: starting" ? "starting" : nil)
            }.first ?? ""
        oomKilled = false
        restartCount = 0
        startedAt = ""
        finishedAt = ""
        error = ""
        memoryLimit = 0
        inspected = false
    }

    private static func parenthesised(_ text: String) -> [String] {
        text.split(separator: "(").dropFirst().compactMap { $0.split(separator: ")", maxSplits: 1).first.map(String.init) }
    }

    /// Seconds since its start, while it runs.
    public func upSeconds(now: Date) -> Double? {
        guard status == "running", let started = Self.nanoseconds(startedAt) else { return nil }
        return max(0, (now.timeIntervalSince1970 - Double(started) / 1e9).rounded())
    }

    /// Whether its restart policy has it in a loop: waiting to start it again, or caught in the moment it runs,
    /// after three restarts or more, under 10 s ago (an operator's `docker restart` is not counted in
    /// RestartCount; one restart after an outage of what it needs is not a loop). Nil for one only listed
    /// and running (its restarts are not known).
    public func looping(now: Date) -> Bool? {
        if status == "restarting" { return true }
        guard inspected else { return nil }
        return restartCount >= 3 && upSeconds(now: now).map { $0 < 10 } == true
    }

    /// Where the log that says how its last run went begins, as the engine's `since` takes it
    /// (`1733368106.332545249`), when the engine says it started: after its previous run ended, when it runs
    /// again since one did (`FinishedAt` is then the previous run's); else 0.1 s before its start was
    /// recorded. A run's first lines can come a moment before the engine records its start, and a restart
    /// policy waits at least 0.1 s after a run ends before it starts the container again. (Whole seconds
    /// would let in what an earlier run said in the second it was restarted.) Caught running in a restart
    /// loop, its run has often said nothing yet: the loop's last lines are read (nil, no bound) instead.
    public func logSince(now: Date) -> String? {
        guard let started = Self.nanoseconds(startedAt) else { return nil }
        if status == "running", looping(now: now) == true { return nil }
        var since = started - 100_000_000
        if status == "running", let finished = Self.nanoseconds(finishedAt), finished < started { since = finished }
        return "\(since / 1_000_000_000).\(String(String(since % 1_000_000_000 + 1_000_000_000).dropFirst()))"
    }

    /// An RFC 3339 time of the engine's (`2026-12-05T03:08:26.432545249Z`) in nanoseconds since 1970; nil
    /// for none (`0001-01-01T00:00:00Z`).
    static func nanoseconds(_ time: String) -> Int? {
        guard time.count >= 20, !time.hasPrefix("0001"),
            let seconds = ISO8601DateFormatter().date(from: String(time.prefix(19)) + "Z")
        else { return nil }
        let rest = time.dropFirst(19)
        let digits = rest.first == "." ? rest.dropFirst().prefix { $0.isNumber } : ""
        return Int(seconds.timeIntervalSince1970) * 1_000_000_000 + (Int(String((digits + "000000000").prefix(9))) ?? 0)
    }
}
