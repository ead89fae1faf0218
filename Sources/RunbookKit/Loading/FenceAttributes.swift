import Foundation

/// A fenced block's info string as Runme writes it: the language, then
/// attributes in braces, `{ name=check-port interactive=false }` or JSON
/// `{"name":"check-port"}`; a key alone has an empty value, a value may be
/// quoted, a JSON value that is not a string is kept as its JSON text.
struct FenceAttributes: Equatable {
    var language: String
    var values: [String: String]
    /// The keys as written, in order (the `key=value` form; JSON's order is not kept).
    var order: [String] = []
    /// Whether they are written as JSON, Runme's other form.
    var isJSON = false
    /// Why the attributes could not be read, if they could not.
    var problem: String?

    init(_ info: String) {
        let trimmed = info.trimmingCharacters(in: .whitespaces)
        let brace = trimmed.firstIndex(of: "{")
        language = String(trimmed[..<(brace ?? trimmed.endIndex)]).trimmingCharacters(in: .whitespaces).lowercased()
        values = [:]
        guard let brace else { return }
        let body = String(trimmed[brace...])
        guard body.hasSuffix("}") else {
            problem = "the attributes `\(body)` do not end with `}`"
            return
        }
        if body.dropFirst().trimmingCharacters(in: .whitespaces).hasPrefix("\"") {
            guard let object = try? JSONDecoder().decode([String: Scalar].self, from: Data(body.utf8)) else {
                problem = "the attributes `\(body)` are not a JSON object"
                return
            }
            values = object.mapValues(\.text)
            isJSON = true
            return
        }
        var rest = Substring(body.dropFirst().dropLast())
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard !rest.isEmpty else { break }
            let key = rest.prefix { $0 != "=" && $0 != " " && $0 != "\t" }
            rest = rest.dropFirst(key.count)
            if values[String(key)] == nil { order.append(String(key)) }
            guard rest.first == "=" else {
                values[String(key)] = ""
                continue
            }
            rest = rest.dropFirst()
            if let quote = rest.first, quote == "\"" || quote == "'" {
                rest = rest.dropFirst()
                let value = rest.prefix { $0 != quote }
                guard rest.dropFirst(value.count).first == quote else {
                    problem = "the value of `\(key)` is not closed with \(quote)"
                    return
                }
                values[String(key)] = String(value)
                rest = rest.dropFirst(value.count + 1)
            } else {
                let value = rest.prefix { $0 != " " && $0 != "\t" }
                values[String(key)] = String(value)
                rest = rest.dropFirst(value.count)
            }
        }
    }

    /// A JSON attribute's value, as text: a string as it is, anything else as its JSON.
    struct Scalar: Decodable {
        var text: String
        /// Its JSON, for a value nested in an object or array.
        var json: String

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) {
                text = b ? "true" : "false"
                json = text
            } else if let i = try? c.decode(Int.self) {
                text = String(i)
                json = text
            } else if let d = try? c.decode(Double.self) {
                text = String(d)
                json = text
            } else if let s = try? c.decode(String.self) {
                text = s
                json = String(decoding: (try? JSONEncoder().encode(s)) ?? Data(), as: UTF8.self)
            } else if let object = try? c.decode([String: Scalar].self) {
                json =
                    "{" + object.sorted { $0.key < $1.key }.map { Scalar.quote($0.key) + ":" + $0.value.json }.joined(separator: ",") + "}"
                text = json
            } else if let array = try? c.decode([Scalar].self) {
                json = "[" + array.map(\.json).joined(separator: ",") + "]"
                text = json
            } else {
                json = "null"
                text = ""
            }
        }

        static func quote(_ s: String) -> String { String(decoding: (try? JSONEncoder().encode(s)) ?? Data(), as: UTF8.self) }
    }
}
