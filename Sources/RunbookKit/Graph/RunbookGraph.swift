import Foundation

/// A runbook as a flowchart: its steps, where each can go, and the
/// remediations its findings lead to.
public struct RunbookGraph: Sendable {
    public enum Shape: Sendable { case step, decision, end, remediation }

    public struct Node: Sendable {
        public var id: String
        public var label: String
        public var shape: Shape
    }

    public struct Edge: Sendable {
        public var from: String
        public var to: String
        public var label: String?
        public var dashed: Bool
    }

    public var title: String
    public var nodes: [Node] = []
    public var edges: [Edge] = []

    public init(_ runbook: Runbook) {
        title = runbook.title
        for (i, step) in runbook.steps.enumerated() {
            let isDecision: Bool
            if case .ask = step.action { isDecision = true } else { isDecision = step.next.contains { $0.condition != nil } }
            let label: String
            if case .ask(let a) = step.action { label = a.question } else { label = "\(i + 1). \(step.title)" }
            if case .runbook(let r) = step.action { nodes.append(Node(id: step.id, label: label + " (\(r.id))", shape: .step)); continue }
            if case .sweep(let w) = step.action {
                nodes.append(Node(id: step.id, label: label + " (sweeps \(w.runbooks.count) runbooks)", shape: .step))
                continue
            }
            nodes.append(Node(id: step.id, label: label, shape: isDecision ? .decision : .step))
        }
        nodes.append(Node(id: Branch.end, label: "end", shape: .end))
        for (i, step) in runbook.steps.enumerated() {
            for exit in runbook.exits(from: i) {
                let label = exit.fallsThrough ? (step.next.isEmpty ? nil : "otherwise") : exit.condition.map(Self.label)
                edges.append(Edge(from: step.id, to: exit.target, label: label, dashed: false))
            }
        }
        for r in runbook.remediations {
            nodes.append(Node(id: "fix-" + r.id, label: "\(r.title) [\(r.risk.rawValue)]", shape: .remediation))
            var from: [String] = []
            for step in runbook.steps where step.findings.contains(where: { r.fixes.contains($0.id) }) && !from.contains(step.id) {
                from.append(step.id)
            }
            for f in from {
                let findings = runbook.step(f)?.findings.filter { r.fixes.contains($0.id) }.map(\.id).joined(separator: ", ")
                edges.append(Edge(from: f, to: "fix-" + r.id, label: findings, dashed: true))
            }
        }
    }

    /// `kind == "performance"` reads better as `performance` on an edge.
    static func label(_ e: Expression) -> String {
        if case .compare(.name, .equal, .literal(.string(let s))) = e { return s }
        return e.description
    }

    // MARK: - Rendering

    public func mermaid() -> String {
        var lines = ["graph TD"]
        for n in nodes {
            let text = Self.escapeMermaid(n.label)
            let id = Self.identifier(n.id)
            switch n.shape {
            case .step: lines.append("    \(id)[\"\(text)\"]")
            case .decision: lines.append("    \(id){\"\(text)\"}")
            case .end: lines.append("    \(id)([\"\(text)\"])")
            case .remediation: lines.append("    \(id){{\"\(text)\"}}")
            }
        }
        for e in edges {
            let arrow = e.dashed ? "-.->" : "-->"
            let label = e.label.map { "|\"\(Self.escapeMermaid($0))\"|" } ?? ""
            lines.append("    \(Self.identifier(e.from)) \(arrow)\(label) \(Self.identifier(e.to))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func dot() -> String {
        var lines = [
            "digraph runbook {", "    rankdir=TB;", "    label=\"\(Self.escapeDot(title))\";",
            "    node [fontname=\"Helvetica\", fontsize=11];", "    edge [fontname=\"Helvetica\", fontsize=10];",
        ]
        for n in nodes {
            let shape: String
            switch n.shape {
            case .step: shape = "shape=box, style=rounded"
            case .decision: shape = "shape=diamond"
            case .end: shape = "shape=oval"
            case .remediation: shape = "shape=hexagon, style=filled, fillcolor=\"#fff3cd\""
            }
            lines.append("    \"\(Self.escapeDot(n.id))\" [label=\"\(Self.escapeDot(n.label))\", \(shape)];")
        }
        for e in edges {
            var attrs: [String] = []
            if let l = e.label { attrs.append("label=\"\(Self.escapeDot(l))\"") }
            if e.dashed { attrs.append("style=dashed") }
            lines.append(
                "    \"\(Self.escapeDot(e.from))\" -> \"\(Self.escapeDot(e.to))\""
                    + (attrs.isEmpty ? ";" : " [\(attrs.joined(separator: ", "))];"))
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Mermaid ids: no dashes, and `end` is a keyword there.
    static func identifier(_ id: String) -> String { id == Branch.end ? "runbook_end" : id.replacingOccurrences(of: "-", with: "_") }
    static func escapeMermaid(_ s: String) -> String { s.replacingOccurrences(of: "\"", with: "#quot;") }
    static func escapeDot(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
