import Foundation

/// What runbooks say of each other: every `runbook:` step names a runbook
/// that exists, and no runbook includes itself, directly or through others.
public enum CatalogueChecker {
    /// `runbooks` are checked; `known` are the ids that may be named (the
    /// checked ones, other folders, the built-in ones), with their includes.
    /// A `runbook:` step may name a runbook by id or alias; no two runbooks
    /// may share a name (an alias of one the id or alias of another).
    public static func check(_ runbooks: [Runbook], known: [String: Runbook]) -> [Diagnostic] {
        var all = known
        for rb in runbooks { all[rb.id] = rb }
        var owners: [String: Set<String>] = [:]
        for rb in all.values {
            for name in [rb.id] + rb.aliases { owners[RunbookCatalogue.normalize(name), default: []].insert(rb.id) }
        }
        func resolve(_ name: String) -> String? {
            if all[name] != nil { return name }
            guard let ids = owners[RunbookCatalogue.normalize(name)], ids.count == 1 else { return nil }
            return ids.first
        }
        var out: [Diagnostic] = []
        for rb in runbooks {
            for alias in rb.aliases {
                let others = (owners[RunbookCatalogue.normalize(alias)] ?? []).subtracting([rb.id]).sorted()
                guard !others.isEmpty else { continue }
                let at = rb.aliasesLocation ?? FilePosition(file: rb.origin, line: 1, column: 1)
                out.append(
                    Diagnostic(at, "alias `\(alias)` also names `\(others.joined(separator: "`, `"))`: two runbooks cannot share a name"))
            }
            for step in rb.steps {
                guard case .runbook(let r) = step.action else { continue }
                let at = step.location ?? FilePosition(file: rb.origin, line: 1, column: 1)
                guard let id = resolve(r.id) else {
                    out.append(
                        Diagnostic(
                            at, "step `\(step.id)` names runbook `\(r.id)`, which does not exist\(Suggestion.hint(for: r.id, in: all.keys))"
                        ))
                    continue
                }
                if let cycle = path(from: id, to: rb.id, in: all, resolve: resolve) {
                    out.append(Diagnostic(at, "step `\(step.id)` makes a cycle: \(([rb.id] + cycle).joined(separator: " → "))"))
                }
            }
        }
        return out
    }

    /// The include path from `start` back to `target`, if there is one.
    static func path(from start: String, to target: String, in all: [String: Runbook], resolve: (String) -> String?) -> [String]? {
        var queue: [[String]] = [[start]]
        var seen: Set<String> = [start]
        while !queue.isEmpty {
            let path = queue.removeFirst()
            guard let last = path.last else { continue }
            if last == target { return path }
            for step in all[last]?.steps ?? [] {
                guard case .runbook(let r) = step.action, let id = resolve(r.id), seen.insert(id).inserted || id == target else { continue }
                queue.append(path + [id])
            }
        }
        return nil
    }
}
