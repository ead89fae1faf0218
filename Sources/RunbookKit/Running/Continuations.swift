import Foundation

/// A sweep's steps that go on past the sweep's cap. A step a verdict reads
/// runs with its own timeout from the start; the branch waits for it only
/// up to the cap and walks on, and the second phase takes its result when
/// it ends. A slow answer is measured once, in its own time, not cut at the
/// cap and asked again.
final class Continuations: @unchecked Sendable {
    private final class Running: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        let lock = NSLock()
        var result: StepResult?
    }

    private let lock = NSLock()
    private var running: [String: Running] = [:]

    /// Runs `own` (the step with its own timeout) on a thread of its own:
    /// its result if it ends within `cap` seconds, else nil (it goes on).
    func run(_ own: PendingStep, cap: Double, _ body: @escaping @Sendable () -> StepResult) -> StepResult? {
        let r = Running()
        Thread {
            let result = body()
            r.lock.withLock { r.result = result }
            r.done.signal()
        }.start()
        if r.done.wait(timeout: .now() + cap) == .success {
            return r.lock.withLock { r.result }
        }
        lock.withLock { running[own.step.id] = r }
        return nil
    }

    /// The result of a step that went on past the cap, once it ends; nil if none did.
    func result(of id: String) -> StepResult? {
        guard let r = lock.withLock({ running.removeValue(forKey: id) }) else { return nil }
        r.done.wait()
        return r.lock.withLock { r.result }
    }
}
