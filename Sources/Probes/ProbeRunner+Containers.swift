import Clients
import Foundation
import OutputCapture
import RunbookKit

/// `containers` steps: Compose services' containers as the Docker engine has them (`DOCKER_HOST` when it
/// names a unix socket, else /var/run/docker.sock). No engine here is an answer, not a failure: `engine` is
/// false and says why; an engine that does not answer in time is a timeout, which finds nothing.
extension ProbeRunner {
    func runContainers(_ a: ContainersAction, timeout: Double) -> StepResult {
        Self.containersResult(a, environment: ProcessInfo.processInfo.environment, timeout: timeout)
    }

    static func containersResult(_ a: ContainersAction, environment: [String: String], timeout: Double) -> StepResult {
        func noEngine(_ why: String) -> StepResult {
            var r = StepResult(status: .ok, values: ["engine": .bool(false), "engine_error": .string(why)])
            for service in a.services { r.values["\(service).found"] = .bool(false) }
            r.output = CapturedOutput(text: "no Docker engine here (\(why)): containers not read")
            return r
        }
        let engine: DockerEngine
        switch DockerEngine.locate(environment: environment) {
        case .success(let e): engine = e
        case .failure(let why): return noEngine(why.description)
        }
        let survey: ContainerSurvey
        do {
            survey = try ContainerSurvey.read(
                engine, project: a.project, services: a.services, logLines: a.logLines, stats: a.stats,
                deadline: .now + .milliseconds(Int(timeout * 1000)))
        } catch {
            switch error {
            // No socket, nothing listening on it, or not ours to open (not in the docker group).
            case .refused(let why), .unreachable(let why): return noEngine(why)
            case .timeout: return StepResult(status: .timeout, error: "the Docker engine did not answer within \(Int(timeout)) s")
            default: return StepResult(status: .error, error: "the Docker engine: \(error)")
            }
        }
        return containersResult(survey, services: a.services, now: Date())
    }

    static let containerColumns = [
        "container", "service", "project", "state", "health", "exit", "restarts", "oom", "memory", "limit", "up",
    ]

    /// The survey as a step's result: counts over every container read, and per service the values of its
    /// worst container (one that is not running, if any is not).
    static func containersResult(_ survey: ContainerSurvey, services: [String], now: Date) -> StepResult {
        let cs = survey.containers
        var values: [String: Value] = [
            "engine": .bool(true), "engine_error": .string(""),
            "count": .number(Double(cs.count)),
            "running": .number(Double(cs.filter { $0.state.status == "running" }.count)),
            "not_running": .number(Double(cs.filter { $0.state.status != "running" }.count)),
            "restarting": .number(Double(cs.filter { $0.state.status == "restarting" }.count)),
            "unhealthy": .number(Double(cs.filter { $0.state.health == "unhealthy" }.count)),
            // The engine keeps OOMKilled after a restart: a kill counts only while the container has not run since.
            "oom_killed": .number(Double(cs.filter { $0.state.oomKilled && $0.state.status != "running" }.count)),
            "projects": .string(Array(Set(cs.map(\.state.project))).filter { !$0.isEmpty }.sorted().joined(separator: ",")),
        ]
        // The largest log file of those read (the guide caps each at 100 MB: json-file max-size), where readable.
        if let largest = cs.compactMap({ c in c.state.logBytes.map { (c.state.name, $0) } }).max(by: { $0.1 < $1.1 }) {
            values["largest_log"] = .string(largest.0)
            values["largest_log_mb"] = .number((largest.1 / 1_048_576 * 10).rounded() / 10)
        }
        var rows: [[String?]] = []
        var logs: [String] = []
        for c in cs {
            let s = c.state
            let up = s.upSeconds(now: now)
            let mb = c.memoryUsed.map { $0 / 1_048_576 }
            let limitMB = s.memoryLimit > 0 ? s.memoryLimit / 1_048_576 : nil
            // What only an inspection tells is `?` for one the engine's list alone tells of.
            let known = { (text: String?) in s.inspected ? text : "?" }
            rows.append([
                s.name, s.service, s.project, s.status, s.health.isEmpty ? nil : s.health, s.status == "running" ? nil : String(s.exitCode),
                known(String(s.restartCount)), known(s.oomKilled && s.status != "running" ? "yes" : "no"),
                mb.map { String(format: "%.0f MiB", $0) }, known(limitMB.map { String(format: "%.0f MiB", $0) } ?? "none"),
                known(up.map(Self.duration)),
            ])
            // The log of one that is not running says why; the others' are kept for the findings, not shown.
            if let log = c.log, s.status != "running" {
                logs.append("-- \(s.name), the last lines of its log:\n" + log.suffix(20).joined(separator: "\n"))
            }
        }
        for service in services {
            let mine = cs.filter { $0.state.service == service || $0.state.name == service }
            values["\(service).found"] = .bool(!mine.isEmpty)
            values["\(service).count"] = .number(Double(mine.count))
            guard let c = mine.first else { continue }
            let s = c.state
            values["\(service).container"] = .string(s.name)
            values["\(service).project"] = .string(s.project)
            values["\(service).workdir"] = .string(s.workingDirectory)
            values["\(service).state"] = .string(s.status)
            values["\(service).running"] = .bool(s.status == "running")
            values["\(service).exit_code"] = .number(Double(s.exitCode))
            values["\(service).health"] = .string(s.health)
            if s.inspected {
                values["\(service).oom_killed"] = .bool(s.oomKilled && s.status != "running")
                values["\(service).restarts"] = .number(Double(s.restartCount))
                values["\(service).started_at"] = .string(s.startedAt)
                values["\(service).error"] = .string(s.error)
                values["\(service).mem_limit_mb"] = .number(s.memoryLimit / 1_048_576)
            }
            if let up = s.upSeconds(now: now) { values["\(service).up_s"] = .number(up) }
            if let looping = s.looping(now: now) { values["\(service).looping"] = .bool(looping) }
            if let used = c.memoryUsed {
                values["\(service).mem_mb"] = .number((used / 1_048_576 * 10).rounded() / 10)
                if s.memoryLimit > 0 { values["\(service).mem_pct"] = .number((used / s.memoryLimit * 1000).rounded() / 10) }
            }
            if let log = c.log { values["\(service).log"] = .string(log.joined(separator: "\n")) }
            if let bytes = s.logBytes { values["\(service).log_mb"] = .number((bytes / 1_048_576 * 10).rounded() / 10) }
        }
        let table = ResultTable(columns: containerColumns, rows: rows)
        var text = cs.isEmpty ? "no container of \(services.joined(separator: ", ")) on this engine" : TableFormatter.render(table)
        if !survey.unread.isEmpty { text += "\nnot read in time: " + survey.unread.joined(separator: ", ") }
        if !logs.isEmpty { text += "\n" + logs.joined(separator: "\n") }
        return StepResult(status: .ok, output: CapturedOutput(text: text), values: values, table: table)
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min" }
        if s < 172_800 { return "\(s / 3600) h" }
        return "\(s / 86400) d"
    }
}
