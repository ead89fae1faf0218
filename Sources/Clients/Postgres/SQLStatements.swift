import Foundation

/// Splits SQL text into statements at semicolons outside quotes, dollar
/// quotes and comments. `autocommit` steps run each one by itself, since
/// statements like CREATE INDEX CONCURRENTLY refuse to share a transaction.
public enum SQLStatements {
    public static func split(_ sql: String) -> [String] {
        var out: [String] = []
        var current = ""
        let chars = Array(sql)
        var i = 0
        func flush() {
            let s = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !s.isEmpty { out.append(s) }
            current = ""
        }
        while i < chars.count {
            let c = chars[i]
            if c == "'" || c == "\"" {
                let quote = c
                current.append(c)
                i += 1
                while i < chars.count {
                    current.append(chars[i])
                    if chars[i] == quote {
                        if i + 1 < chars.count, chars[i + 1] == quote { current.append(chars[i + 1]); i += 2; continue }
                        break
                    }
                    i += 1
                }
                i += 1
                continue
            }
            if c == "-", i + 1 < chars.count, chars[i + 1] == "-" {
                while i < chars.count, chars[i] != "\n" { current.append(chars[i]); i += 1 }
                continue
            }
            if c == "$" {
                // $tag$ ... $tag$
                var j = i + 1
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                if j < chars.count, chars[j] == "$" {
                    let tag = String(chars[i...j])
                    current += tag
                    i = j + 1
                    let rest = String(chars[i...])
                    if let end = rest.range(of: tag) {
                        let body = rest[..<end.upperBound]
                        current += body
                        i += body.count
                    } else {
                        current += rest
                        i = chars.count
                    }
                    continue
                }
            }
            if c == ";" { flush(); i += 1; continue }
            current.append(c)
            i += 1
        }
        flush()
        return out
    }
}
