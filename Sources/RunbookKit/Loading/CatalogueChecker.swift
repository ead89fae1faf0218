import Foundation

/// What runbooks say of each other: every `runbook:` step names a runbook
/// that exists, and no runbook includes itself, directly or through others.
public enum CatalogueChecker {
    /// `runbooks` are checked; `known` are the ids that may be named (the
    /// checked ones, other folders, the built-in ones), with their includes.
    public static func check(_ runbooks: [Runbook], known: [String: Runbook]) -> [Diagnostic] {
        var all = known
        for rb in runbooks { all[rb.id] = rb }
        var out: [Diagnostic] = []
        for rb in runbooks {
            for step in rb.steps {
                guard case .runbook(let r) = step.action else { continue }
                let at = step.location ?? FilePosition(file: rb.origin, line: 1, column: 1)
                guard all[r.id] != nil else {
                    out.append(
                        Diagnostic(
                            at, "step `\(step.id)` names runbook `\(r.id)`, which does not exist\(Suggestion.hint(for: r.id, in: all.keys))"
                        ))
                    continue
                }
                if let cycle = path(from: r.id, to: rb.id, in: all) {
                    out.append(Diagnostic(at, "step `\(step.id)` makes a cycle: \(([rb.id] + cycle).joined(separator: " → "))"))
                }
            }
        }
        return out
    }

    /// The include path from `start` back to `target`, if there is one.
    static func path(from start: String, to target: String, in all: [String: Runbook]) -> [String]? {
        var queue: [[String]] = [[start]]
        var seen: Set<String> = [start]
        while !queue.isEmpty {
            let path = queue.removeFirst()
            guard let last = path.last else { continue }
            if last == target { return path }
            for step in all[last]?.steps ?? [] {
                guard case .runbook(let r) = step.action, seen.insert(r.id).inserted || r.id == target else { continue }
                queue.append(path + [r.id])
            }
        }
        return nil
    }
}
