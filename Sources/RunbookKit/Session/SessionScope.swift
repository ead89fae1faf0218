import Foundation

/// Names as conditions see them: the step's own results, `steps.ID.NAME`,
/// `vars.NAME` (also `inputs.NAME`) and `targets.NAME`.
public struct SessionScope: ValueScope, Sendable {
    public var own: StepResult?
    public var results: [String: StepResult]
    /// Step ids in `steps.ID.NAME` are read within this runbook.
    public var prefix: String = ""
    public var vars: [String: Value]
    public var targets: [String: Value]

    public func value(of name: String) -> Value? {
        if name.hasPrefix("steps.") {
            let parts = name.split(separator: ".", maxSplits: 2)
            guard parts.count == 3, let r = results[prefix + String(parts[1])] else { return nil }
            return r.value(of: String(parts[2]))
        }
        if name.hasPrefix("vars.") || name.hasPrefix("inputs.") {
            return vars[String(name.drop(while: { $0 != "." }).dropFirst())]
        }
        if name.hasPrefix("targets.") { return targets[String(name.dropFirst("targets.".count))] }
        return own?.value(of: name)
    }
}
