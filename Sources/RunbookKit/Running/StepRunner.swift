import Foundation

/// What a runner may consult while a step runs.
public struct StepControl: Sendable {
    /// True once the operator asked to stop the step (Ctrl-C).
    public var interrupted: @Sendable () -> Bool
    /// Live output as it comes; stream 1 is stdout, 2 stderr.
    public var output: @Sendable (String, Int32) -> Void

    public init(
        interrupted: @escaping @Sendable () -> Bool = { false },
        output: @escaping @Sendable (String, Int32) -> Void = { _, _ in }
    ) {
        self.interrupted = interrupted
        self.output = output
    }
}

extension StepControl {
    /// Waits, waking early if the operator interrupts.
    public func pause(_ seconds: Double) {
        guard seconds > 0 else { return }
        let until = Date().addingTimeInterval(seconds)
        while Date() < until, !interrupted() { usleep(20_000) }
    }
}

/// Runs the probe kinds of step: shell, postgres, redis, http, tcp, tls,
/// websocket, system. The C libraries stay behind this protocol.
public protocol StepRunner: AnyObject {
    func run(_ step: PendingStep, control: StepControl) -> StepResult
}
