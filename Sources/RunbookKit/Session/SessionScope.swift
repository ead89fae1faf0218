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

    ///
    /// A step that ran and answered (ok or failed) has every name: one its
    /// answer lacks (a JSON key, a column, a row) is null. A step that did
    /// not run, could not, or did not finish leaves its names unknown, but
    /// for how it ended (`StepResult.value(of:)`).
    public func value(of name: String) -> Value? {
        if name.hasPrefix("steps.") {
            let parts = name.split(separator: ".", maxSplits: 2)
            guard parts.count == 3, let r = results[prefix + String(parts[1])] else { return nil }
            return Self.read(String(parts[2]), of: r)
        }
        if name.hasPrefix("vars.") || name.hasPrefix("inputs.") {
            return vars[String(name.drop(while: { $0 != "." }).dropFirst())]
        }
        // A target value nobody configured (the API's TLS port, say) is null, not unknown.
        if name.hasPrefix("targets.") { return targets[String(name.dropFirst("targets.".count))] ?? .null }
        return own.flatMap { Self.read(name, of: $0) }
    }

    static func read(_ name: String, of result: StepResult) -> Value? {
        if let v = result.value(of: name) { return v }
        return result.finished ? .null : nil
    }
}
