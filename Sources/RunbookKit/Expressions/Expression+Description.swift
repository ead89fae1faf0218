import Foundation

extension Expression: CustomStringConvertible {
    /// The expression as a runbook author would write it.
    public var description: String { render(parent: 0) }

    private func render(parent: Int) -> String {
        switch self {
        case .literal(.string(let s)): return "\"\(s.replacingOccurrences(of: "\"", with: "\\\""))\""
        case .literal(let v): return v.text
        case .name(let n, _): return n
        case .not(let e): return "not " + e.render(parent: 3)
        case .and(let a, let b):
            let s = a.render(parent: 2) + " and " + b.render(parent: 2)
            return parent > 2 ? "(\(s))" : s
        case .or(let a, let b):
            let s = a.render(parent: 1) + " or " + b.render(parent: 1)
            return parent > 1 ? "(\(s))" : s
        case .compare(let a, let op, let b):
            return a.render(parent: 4) + " \(op.rawValue) " + b.render(parent: 4)
        }
    }
}
