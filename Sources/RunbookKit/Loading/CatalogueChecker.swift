import Foundation

/// What runbooks say of each other: every `runbook:` step and every `sweep:`
/// names a runbook that exists, no runbook includes or sweeps itself,
/// directly or through others, and every `explains:` names a finding.
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
                let at = step.location ?? FilePosition(file: rb.origin, line: 1, column: 1)
                for name in named(by: step) {
                    guard let id = resolve(name) else {
                        out.append(
                            Diagnostic(
                                at,
                                "step `\(step.id)` names runbook `\(name)`, which does not exist\(Suggestion.hint(for: name, in: all.keys))"
                            ))
                        continue
                    }
                    if let cycle = path(from: id, to: rb.id, in: all, resolve: resolve) {
                        out.append(Diagnostic(at, "step `\(step.id)` makes a cycle: \(([rb.id] + cycle).joined(separator: " → "))"))
                    }
                }
                for rule in step.findings {
                    for ref in rule.explains {
                        let parts = ref.split(separator: "/", maxSplits: 1).map(String.init)
                        let (book, finding) = parts.count == 2 ? (resolve(parts[0]).flatMap { all[$0] }, parts[1]) : (rb, ref)
                        guard let book else {
                            out.append(Diagnostic(at, "finding `\(rule.id)` explains `\(ref)`: no runbook `\(parts[0])`"))
                            continue
                        }
                        let ids = book.steps.flatMap { $0.findings.map(\.id) }
                        if !ids.contains(finding) {
                            out.append(
                                Diagnostic(
                                    at,
                                    "finding `\(rule.id)` explains `\(ref)`: \(book.id) has no finding `\(finding)`\(Suggestion.hint(for: finding, in: ids))"
                                ))
                        }
                    }
                }
            }
        }
        return out
    }

    /// The runbooks a step walks: the one it includes, or those it sweeps.
    static func named(by step: Step) -> [String] {
        switch step.action {
        case .runbook(let r): return [r.id]
        case .sweep(let s): return s.runbooks
        default: return []
        }
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
                for name in named(by: step) {
                    guard let id = resolve(name), seen.insert(id).inserted || id == target else { continue }
                    queue.append(path + [id])
                }
            }
        }
        return nil
    }
}
