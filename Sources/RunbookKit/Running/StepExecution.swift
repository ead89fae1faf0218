import Foundation

/// Runs one step: a probe through the runner, a manual step through the
/// host; records an interruption when the step was stopped.
public final class StepExecution: @unchecked Sendable {
    public let runner: any StepRunner
    public let recorder: SessionRecorder
    /// Names the signal that stopped a step (`SIGINT`, `SIGHUP`...), for its `interrupt` event.
    public let signal: @Sendable () -> String?
    /// A sweep's branches share what the same probe answered.
    public let shared: SharedProbes?

    public init(
        runner: any StepRunner, recorder: SessionRecorder, signal: @escaping @Sendable () -> String? = { nil },
        shared: SharedProbes? = nil
    ) {
        self.runner = runner
        self.recorder = recorder
        self.signal = signal
        self.shared = shared
    }

    /// The same, its probes shared between the branches of a sweep.
    public func sharing() -> StepExecution {
        StepExecution(runner: runner, recorder: recorder, signal: signal, shared: SharedProbes())
    }

    public func run(_ pending: PendingStep, host: any StepperHost) -> StepResult {
        if case .manual(let m) = pending.step.action { return host.perform(manual: pending, instruction: m.instruction) }
        return run(pending, interrupted: host.interruption())
    }

    /// A probe step; `interrupted` says when to stop it.
    public func run(_ pending: PendingStep, interrupted: @escaping @Sendable () -> Bool) -> StepResult {
        switch pending.step.action {
        case .manual(let m):
            return StepResult(status: .skipped, error: "a manual step needs a person: \(m.instruction)")
        case .runbook(let r):
            return StepResult(status: .error, error: "runbook \(r.id) cannot run as a fix (lint rejects this)")
        default:
            if let shared, pending.purpose == .diagnose || pending.purpose == .recheck {
                return shared.result(of: pending) { probe(pending, interrupted: interrupted) }
            }
            return probe(pending, interrupted: interrupted)
        }
    }

    private func probe(_ pending: PendingStep, interrupted: @escaping @Sendable () -> Bool) -> StepResult {
        let presenter = recorder.presenter
        let control = StepControl(interrupted: interrupted) { text, stream in presenter?.output(text, stream: stream) }
        control.pause(pending.delaySeconds)
        let result = runner.run(pending, control: control)
        if result.status == .interrupted { recorder.record(.interrupted(step: pending.step.id, signal: signal())) }
        return result
    }
}
