import Foundation

struct Token: Sendable {
    enum Kind: Sendable, Equatable {
        case number(Double)
        case string(String)
        case name(String)
        case keyword(String)
        case comparison(Expression.ComparisonOperator)
        case open, close

        var describe: String {
            switch self {
            case .number(let n): return "number \(Value.number(n).text)"
            case .string(let s): return "string \"\(s)\""
            case .name(let n): return "name `\(n)`"
            case .keyword(let k): return "`\(k)`"
            case .comparison(let op): return "`\(op.rawValue)`"
            case .open: return "`(`"
            case .close: return "`)`"
            }
        }
    }
    var kind: Kind
    var column: Int
    var length: Int
}

/// Splits expression text into tokens; numbers take their unit here.
enum ExpressionLexer {
    static let keywords: Set<String> = ["and", "or", "not", "true", "false", "null"]

    /// Multipliers that bring a unit to the base the probes report in:
    /// milliseconds for time, bytes for size, plain numbers for percent.
    static let units: [String: Double] = [
        "ms": 1, "s": 1_000, "min": 60_000, "h": 3_600_000, "d": 86_400_000,
        "%": 1,
        "B": 1, "KB": 1_024, "MB": 1_048_576, "GB": 1_073_741_824, "TB": 1_099_511_627_776,
    ]

    static func tokenize(_ text: String) throws(ExpressionError) -> [Token] {
        let chars = Array(text.unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        func column(_ at: Int) -> Int { at + 1 }

        while i < chars.count {
            let c = chars[i]
            if c.properties.isWhitespace { i += 1; continue }
            let start = i
            switch c {
            case "(": tokens.append(Token(kind: .open, column: column(i), length: 1)); i += 1
            case ")": tokens.append(Token(kind: .close, column: column(i), length: 1)); i += 1
            case "=", "!", "<", ">":
                let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
                let two = next.map { String(c) + String($0) }
                if let two, let op = Expression.ComparisonOperator(rawValue: two) {
                    tokens.append(Token(kind: .comparison(op), column: column(i), length: 2)); i += 2
                } else if let op = Expression.ComparisonOperator(rawValue: String(c)), c == "<" || c == ">" {
                    tokens.append(Token(kind: .comparison(op), column: column(i), length: 1)); i += 1
                } else if c == "=" {
                    throw ExpressionError(message: "`=` is not an operator; compare with `==`", column: column(i))
                } else {
                    throw ExpressionError(message: "`!` is not an operator; use `not` or `!=`", column: column(i))
                }
            case "\"", "'":
                let quote = c
                i += 1
                var value = ""
                var closed = false
                while i < chars.count {
                    let d = chars[i]
                    if d == "\\", i + 1 < chars.count {
                        let e = chars[i + 1]
                        switch e {
                        case "n": value += "\n"
                        case "t": value += "\t"
                        default: value.unicodeScalars.append(e)
                        }
                        i += 2
                        continue
                    }
                    if d == quote { closed = true; i += 1; break }
                    value.unicodeScalars.append(d)
                    i += 1
                }
                guard closed else {
                    throw ExpressionError(message: "string starting here is not closed", column: column(start))
                }
                tokens.append(Token(kind: .string(value), column: column(start), length: i - start))
            case "0"..."9", ".":
                var digits = ""
                while i < chars.count, chars[i].properties.numericType != nil || chars[i] == "." || chars[i] == "_" {
                    if chars[i] != "_" { digits.unicodeScalars.append(chars[i]) }
                    i += 1
                }
                guard var number = Double(digits) else {
                    throw ExpressionError(message: "`\(digits)` is not a number", column: column(start))
                }
                var unit = ""
                let unitStart = i
                while i < chars.count, chars[i].properties.isAlphabetic || chars[i] == "%" {
                    unit.unicodeScalars.append(chars[i])
                    i += 1
                }
                if !unit.isEmpty {
                    guard let factor = units[unit] else {
                        let known = units.keys.sorted().joined(separator: ", ")
                        throw ExpressionError(message: "unknown unit `\(unit)` (known: \(known))", column: column(unitStart))
                    }
                    number *= factor
                }
                tokens.append(Token(kind: .number(number), column: column(start), length: i - start))
            default:
                guard c.properties.isAlphabetic || c == "_" else {
                    throw ExpressionError(message: "unexpected character `\(c)`", column: column(i))
                }
                var word = ""
                while i < chars.count,
                    chars[i].properties.isAlphabetic || chars[i].properties.numericType != nil
                        || chars[i] == "_" || chars[i] == "." || chars[i] == "-"
                {
                    word.unicodeScalars.append(chars[i])
                    i += 1
                }
                if word.hasSuffix(".") || word.contains("..") {
                    throw ExpressionError(message: "name `\(word)` has an empty part", column: column(start))
                }
                let lower = word.lowercased()
                if keywords.contains(lower) {
                    tokens.append(Token(kind: .keyword(lower), column: column(start), length: i - start))
                } else if lower == "matches" {
                    tokens.append(Token(kind: .comparison(.matches), column: column(start), length: i - start))
                } else {
                    tokens.append(Token(kind: .name(word), column: column(start), length: i - start))
                }
            }
        }
        return tokens
    }
}
