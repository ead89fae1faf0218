import Clients
import Foundation
import OutputCapture
import RunbookKit

/// `tcp` steps: a connection and its latency, or (`listening`) who listens on a local port.
extension ProbeRunner {
    func runTCP(_ a: TCPAction, timeout: Double, control: StepControl) -> StepResult {
        let started = ContinuousClock.now
        do {
            if a.address.hasPrefix(PostgresEndpoint.containerScheme + "://") { return runContainerConnect(a.address, timeout: timeout) }
            // A Unix socket's file (PostgreSQL's `DIR/.s.PGSQL.PORT`): a local connection, as libpq makes one.
            if a.address.hasPrefix("/") {
                _ = try TCPSocket.connect(unixPath: a.address)
                let ms = (ContinuousClock.now - started).milliseconds
                return StepResult(
                    status: .ok, output: CapturedOutput(text: "connected to \(a.address) in \(String(format: "%.1f", ms)) ms"),
                    values: ["connected": .bool(true), "latency_ms": .number(ms)])
            }
            let (host, port) = try TCPSocket.split(a.address)
            _ = try TCPSocket.connect(host: host, port: port, timeout: timeout, interrupted: control.interrupted)
            let d = ContinuousClock.now - started
            let ms = d.milliseconds
            return StepResult(
                status: .ok, output: CapturedOutput(text: "connected to \(host):\(port) in \(String(format: "%.1f", ms)) ms"),
                values: ["connected": .bool(true), "latency_ms": .number(ms)])
        } catch {
            return StepResult(failure: error)
        }
    }

    func runListening(_ a: TCPAction) -> StepResult {
        guard let port = Int(a.address.split(separator: ":").last ?? ""), (1...65535).contains(port) else {
            return StepResult(status: .error, error: "`\(a.address)` is not a port", values: ["error_kind": .string("configuration")])
        }
        var r = Self.listeningResult(ListeningSockets.listeners(port: port), port: port)
        Self.namePublisher(&r, environment: ProcessInfo.processInfo.environment)
        return r
    }

    /// docker-proxy on a port is Docker publishing a container's port there: the port is judged by that
    /// container (`published_by`, `published_service`), never taken for a squatter. Where the engine cannot be
    /// read, the address it forwards to is said.
    static func namePublisher(_ r: inout StepResult, environment: [String: String]) {
        guard r.values["program"] == .string("docker-proxy"), case .string(let command) = r.values["command"] else { return }
        let words = command.split(separator: " ").map(String.init)
        func argument(_ flag: String) -> String? { words.firstIndex(of: flag).flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil } }
        guard let ip = argument("-container-ip") else { return }
        r.values["published_to"] = .string("\(ip):\(argument("-container-port") ?? "?")")
        if case .success(let engine) = DockerEngine.locate(environment: environment),
            let found = try? engine.container(at: ip, timeout: 2)
        {
            r.values["published_by"] = .string(found.name)
            r.values["published_service"] = .string(found.service)
        }
        let by = r.values["published_by"].map { "container \($0.text)" } ?? "a container at \(ip)"
        r.output = CapturedOutput(text: r.output.text + "\nDocker publishes this port for \(by) (docker-proxy)")
    }

    /// Who listens on `port`, here or on a host, as a step's result.
    static func listeningResult(_ found: [ListeningSockets.Listener], port: Int) -> StepResult {
        var r = StepResult(status: found.isEmpty ? .failed : .ok)
        r.values["listening"] = .bool(!found.isEmpty)
        r.values["count"] = .number(Double(found.count))
        if let first = found.first {
            if let pid = first.pid { r.values["pid"] = .number(Double(pid)) }
            // With the pid, which process it is: a fix that signals it checks both first.
            if let started = first.started { r.values["pid_started"] = .number(Double(started)) }
            r.values["program"] = .string(first.program ?? "")
            r.values["command"] = .string(first.command ?? "")
            r.values["address"] = .string(first.address)
        }
        r.table = ResultTable(
            columns: ["address", "port", "pid", "program"],
            rows: found.map { [$0.address, String($0.port), $0.pid.map(String.init), $0.program] })
        r.output = CapturedOutput(
            text: found.isEmpty ? "nothing listens on port \(port)" : TableFormatter.render(r.table ?? ResultTable(columns: [], rows: [])))
        return r
    }
}
