import Foundation

/// `${name}` placeholders in runbook text, filled from a scope;
/// `${name:-fallback}` uses the fallback text when the name has no value or is null.
public enum Template {
    /// Replaces each `${name}` with its value's text. A name with no value
    /// and no fallback is reported in `missing` and left as written, so the
    /// operator sees it.
    /// `unknownAs` replaces a name with no value instead (a finding's message
    /// shows `?`, never `${...}`); it is still reported in `missing`.
    public static func render(_ text: String, in scope: some ValueScope, unknownAs: String? = nil) -> (text: String, missing: [String]) {
        guard text.contains("${") else { return (text, []) }
        var out = ""
        var missing: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                out += rest[open.lowerBound...]
                rest = ""
                break
            }
            let inner = rest[open.upperBound..<close]
            var name = inner.trimmingCharacters(in: .whitespaces)
            var fallback: String?
            if let dash = inner.range(of: ":-") {
                name = inner[..<dash.lowerBound].trimmingCharacters(in: .whitespaces)
                fallback = String(inner[dash.upperBound...])
            }
            // A null (a field the answer lacked) takes the fallback too, where there is one.
            if let value = scope.value(of: name), value != .null || fallback == nil {
                out += value.text
            } else if let fallback {
                out += fallback
            } else {
                missing.append(name)
                if let unknownAs { out += unknownAs } else { out += rest[open.lowerBound...close] }
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return (out, missing)
    }

    /// Whether a `${...}` holds another `${`: fallbacks cannot name values.
    public static func hasNesting(_ text: String) -> Bool {
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            let after = rest[open.upperBound...]
            guard let close = after.firstIndex(of: "}") else { return false }
            if after[..<close].contains("${") { return true }
            rest = after[after.index(after: close)...]
        }
        return false
    }

    /// The names a text refers to, and whether each has a fallback.
    public static func references(in text: String) -> [(name: String, hasFallback: Bool)] {
        var out: [(String, Bool)] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            let inner = rest[open.upperBound..<close]
            let dash = inner.range(of: ":-")
            out.append(((dash.map { inner[..<$0.lowerBound] } ?? inner).trimmingCharacters(in: .whitespaces), dash != nil))
            rest = rest[rest.index(after: close)...]
        }
        return out
    }

    /// The names a text refers to.
    public static func names(in text: String) -> [String] { references(in: text).map(\.name) }
}
