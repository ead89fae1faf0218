import Foundation

extension Runbook {
    /// One way the walk can leave a step.
    public struct Exit: Sendable, Hashable {
        /// A step id, or `Branch.end`.
        public var target: String
        /// The branch's condition; nil for an unconditional branch or the fall-through.
        public var condition: Expression?
        /// True for the fall-through that applies when no branch does.
        public var fallsThrough: Bool
    }

    /// Where the walk may go after the step at `index`: each of its
    /// branches, then, unless one of them always applies, the fall-through:
    /// the next step, or the end after the last step or a hand-over (the
    /// walk goes on in the runbook handed over to). The engine walks this
    /// way; lint and graphs read it here.
    public func exits(from index: Int) -> [Exit] {
        let step = steps[index]
        var out = step.next.map { Exit(target: $0.target, condition: $0.condition, fallsThrough: false) }
        if !step.next.contains(where: { $0.condition == nil }) {
            var handover = false
            if case .runbook(let r) = step.action, r.mode == .handover { handover = true }
            let target = index + 1 < steps.count && !handover ? steps[index + 1].id : Branch.end
            out.append(Exit(target: target, condition: nil, fallsThrough: true))
        }
        return out
    }
}
