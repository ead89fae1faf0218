import Foundation

/// In a sweep, steps of different runbooks that are the same probe (the
/// same filled-in action, for the same purpose and time) run once: the
/// first to start runs it, the others wait for its result. Two runbooks that
/// both ask the API's health, or who listens on its port, cost one request
/// and one read of /proc.
public final class SharedProbes: @unchecked Sendable {
    struct Key: Hashable {
        var action: StepAction
        var timeout: Double
        var purpose: String
    }

    private let condition = NSCondition()
    private var running: Set<Key> = []
    private var done: [Key: StepResult] = [:]

    public init() {}

    /// The result of `pending`: run now by `run`, or the one another branch got.
    func result(of pending: PendingStep, run: () -> StepResult) -> StepResult {
        let key = Key(action: pending.step.action, timeout: pending.step.timeout, purpose: pending.purpose.label)
        condition.lock()
        while running.contains(key) { condition.wait() }
        if let shared = done[key] {
            condition.unlock()
            return shared
        }
        running.insert(key)
        condition.unlock()
        let result = run()
        condition.lock()
        running.remove(key)
        // An interrupted run is nobody else's answer.
        if result.status != .interrupted { done[key] = result }
        condition.broadcast()
        condition.unlock()
        return result
    }
}
