import Clients
import Fleet
import Foundation
import OutputCapture
import RunbookKit

/// Runs one host's steps in a walk over a fleet: shell, system and
/// listening tcp steps on the host through ssh, every other kind once,
/// from here, through the shared local runner (the first host to reach
/// such a step runs it; the others take its result).
public final class HostStepRunner: StepRunner, @unchecked Sendable {
    public let host: FleetHost
    let transport: SSHTransport
    let local: any StepRunner
    let once: OnceResults
    let shell: ShellRunner
    private let counts = StepCounts()

    public init(host: FleetHost, transport: SSHTransport, local: any StepRunner, once: OnceResults, shell: ShellRunner = ShellRunner()) {
        self.host = host
        self.transport = transport
        self.local = local
        self.once = once
        self.shell = shell
    }

    public func run(_ pending: PendingStep, control: StepControl) -> StepResult {
        let step = pending.step
        guard step.runsOnHosts else {
            // The n-th run of this step (a verify tried again is a second) is shared with the n-th of every host.
            let key = OnceResults.Key(step: step, purpose: pending.purpose.label, occurrence: counts.next(step, pending.purpose.label))
            return once.result(for: key) { local.run(pending, control: control) }
        }
        let started = ContinuousClock.now
        var result: StepResult
        if !pending.missing.isEmpty {
            result = StepResult(status: .error, error: "no value for \(pending.missing.map { "${\($0)}" }.joined(separator: ", "))")
        } else {
            control.pause(pending.delaySeconds)
            switch step.action {
            case .shell(let a): result = runShell(a, timeout: step.timeout, control: control)
            case .system(let a): result = runSystem(a, timeout: step.timeout, control: control)
            case .tcp(let a): result = runListening(a, timeout: step.timeout, control: control)
            default: result = StepResult(status: .error, error: "a \(step.action.kind) step does not run on hosts")
            }
        }
        result.durationMilliseconds = (ContinuousClock.now - started).milliseconds
        return result
    }

    /// Runs `script` on the host; how it ended, or the result of a step that
    /// could not get there or finish (ssh's own failure, a timeout, Ctrl-C).
    private func remote(_ script: String, timeout: Double, control: StepControl, stream: Bool) -> (ShellOutcome, StepResult?) {
        let outcome = shell.run(
            argv: transport.argv(host, remote: script), timeout: timeout, holdingInput: true, interrupted: control.interrupted
        ) {
            bytes, s in
            if stream { control.output(String(decoding: bytes, as: UTF8.self), s) }
        }
        switch outcome.ending {
        case .exited(255):
            // ssh's own failure: the connection, not the command.
            let reason = outcome.output.text.split(whereSeparator: \.isNewline).last.map(String.init) ?? "ssh failed"
            var r = StepResult(status: .error, error: "ssh to \(host.name): \(reason)", values: ["error_kind": .string("connection")])
            r.output = outcome.output
            return (outcome, r)
        case .exited: return (outcome, nil)
        case .signalled, .timedOut, .interrupted, .failedToStart: return (outcome, ProbeRunner.shellResult(outcome, timeout: timeout))
        }
    }

    func runShell(_ a: ShellAction, timeout: Double, control: StepControl) -> StepResult {
        let (outcome, failure) = remote(
            RemoteCommand.shell(a.command, environment: a.env), timeout: timeout, control: control, stream: true)
        return failure ?? ProbeRunner.shellResult(outcome, timeout: timeout)
    }

    func runSystem(_ a: SystemAction, timeout: Double, control: StepControl) -> StepResult {
        let (outcome, failure) = remote(
            RemoteCommand.systemSnapshot(sampleMilliseconds: a.sampleMilliseconds), timeout: timeout, control: control, stream: false)
        if let failure { return failure }
        return ProbeRunner.systemResult(SystemProbe.parse(sections: RemoteCommand.sections(outcome.output.text)))
    }

    func runListening(_ a: TCPAction, timeout: Double, control: StepControl) -> StepResult {
        guard let port = Int(a.address.split(separator: ":").last ?? ""), (1...65535).contains(port) else {
            return StepResult(status: .error, error: "`\(a.address)` is not a port", values: ["error_kind": .string("configuration")])
        }
        let (outcome, failure) = remote(RemoteCommand.listeningSnapshot(), timeout: timeout, control: control, stream: false)
        if let failure { return failure }
        return ProbeRunner.listeningResult(
            ListeningSockets.parse(sections: RemoteCommand.sections(outcome.output.text), port: port), port: port)
    }
}

/// Results of the steps a fleet's walks run once, here, shared by every host.
public final class OnceResults: @unchecked Sendable {
    public struct Key: Hashable, Sendable {
        var step: Step
        var purpose: String
        var occurrence: Int
    }

    private let lock = NSCondition()
    private var results: [Key: StepResult] = [:]
    private var running: Set<Key> = []

    public init() {}

    /// The result for `key`: run now by the first to ask, waited for by the others.
    func result(for key: Key, run: () -> StepResult) -> StepResult {
        lock.lock()
        while true {
            if let r = results[key] {
                lock.unlock()
                return r
            }
            if !running.contains(key) { break }
            lock.wait()
        }
        running.insert(key)
        lock.unlock()
        let r = run()
        lock.lock()
        results[key] = r
        running.remove(key)
        lock.broadcast()
        lock.unlock()
        return r
    }
}

/// How many times one host's walk ran each step, with each purpose.
final class StepCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    func next(_ step: Step, _ purpose: String) -> Int {
        lock.withLock {
            let key = step.id + "\u{0}" + purpose
            counts[key, default: 0] += 1
            return counts[key, default: 0]
        }
    }
}
