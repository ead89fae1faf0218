import Foundation

/// Turns expression text into an `Expression`, or an error with the column of the fault.
public struct ExpressionParser {
    private var tokens: [Token]
    private var index = 0

    public static func parse(_ text: String) throws(ExpressionError) -> Expression {
        var parser = ExpressionParser(tokens: try ExpressionLexer.tokenize(text))
        let expression = try parser.parseOr()
        guard let token = parser.peek else { return expression }
        throw ExpressionError(message: "unexpected \(token.kind.describe) after a complete expression", column: token.column)
    }

    private init(tokens: [Token]) { self.tokens = tokens }

    private var peek: Token? { index < tokens.count ? tokens[index] : nil }
    private var endColumn: Int { (tokens.last.map { $0.column + $0.length }) ?? 1 }

    private mutating func advance() -> Token? {
        defer { index += 1 }
        return peek
    }

    private mutating func parseOr() throws(ExpressionError) -> Expression {
        var left = try parseAnd()
        while case .keyword("or") = peek?.kind {
            index += 1
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(ExpressionError) -> Expression {
        var left = try parseNot()
        while case .keyword("and") = peek?.kind {
            index += 1
            left = .and(left, try parseNot())
        }
        return left
    }

    private mutating func parseNot() throws(ExpressionError) -> Expression {
        if case .keyword("not") = peek?.kind {
            index += 1
            return .not(try parseNot())
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws(ExpressionError) -> Expression {
        let left = try parsePrimary()
        guard case .comparison(let op) = peek?.kind else { return left }
        index += 1
        let right = try parsePrimary()
        if case .comparison = peek?.kind, let token = peek {
            throw ExpressionError(message: "comparisons do not chain; join them with `and`", column: token.column)
        }
        return .compare(left, op, right)
    }

    private mutating func parsePrimary() throws(ExpressionError) -> Expression {
        guard let token = advance() else {
            throw ExpressionError(message: "expected a value, a name or `(` but the expression ends", column: endColumn)
        }
        switch token.kind {
        case .number(let n): return .literal(.number(n))
        case .string(let s): return .literal(.string(s))
        case .keyword("true"): return .literal(.bool(true))
        case .keyword("false"): return .literal(.bool(false))
        case .keyword("null"): return .literal(.null)
        case .name(let n): return .name(n, column: token.column)
        case .open:
            let inner = try parseOr()
            guard case .close = peek?.kind else {
                throw ExpressionError(message: "missing `)` to close the `(` at column \(token.column)", column: peek?.column ?? endColumn)
            }
            index += 1
            return inner
        default:
            throw ExpressionError(message: "expected a value, a name or `(` but found \(token.kind.describe)", column: token.column)
        }
    }
}
