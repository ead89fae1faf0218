import Foundation

/// Ansible's host patterns, as `--limit` and `ansible PATTERN` take them:
/// `all` or `*`, a group, a host, globs (`web*`), regular expressions
/// (`~web\d+`), subscripts (`web[0]`, `web[0:2]`), joined by `:` or `,`,
/// with `&` for intersection and `!` for exclusion.
public struct HostPattern: Sendable, Hashable {
    public let text: String

    public init(_ text: String) { self.text = text }

    /// The parts, split as Ansible splits them: on commas if there are any,
    /// else on colons outside brackets.
    public var parts: [String] {
        let raw: [String]
        if text.contains(",") {
            raw = text.split(separator: ",").map(String.init)
        } else {
            var out: [String] = []
            var current = ""
            var depth = 0
            for c in text {
                if c == "[" { depth += 1 }
                if c == "]" { depth = max(0, depth - 1) }
                if c == ":", depth == 0 {
                    out.append(current)
                    current = ""
                } else {
                    current.append(c)
                }
            }
            out.append(current)
            raw = out
        }
        return raw.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The hosts it selects: the plain parts' hosts in order, then kept only
    /// if in every `&` part, then without every `!` part's.
    public func select(from inv: Inventory) throws(InventoryError) -> [String] {
        let ps = parts
        var plain = ps.filter { !$0.hasPrefix("&") && !$0.hasPrefix("!") }
        if plain.isEmpty { plain = ["all"] }
        var hosts: [String] = []
        for p in plain {
            for h in try match(p, in: inv) where !hosts.contains(h) { hosts.append(h) }
        }
        for p in ps where p.hasPrefix("&") {
            let that = Set(try match(String(p.dropFirst()), in: inv))
            hosts = hosts.filter { that.contains($0) }
        }
        for p in ps where p.hasPrefix("!") {
            let that = Set(try match(String(p.dropFirst()), in: inv))
            hosts = hosts.filter { !that.contains($0) }
        }
        return hosts
    }

    /// One part's hosts: a host named so, else the groups and (for globs and
    /// regular expressions, or when no group matched) the hosts it matches.
    func match(_ part: String, in inv: Inventory) throws(InventoryError) -> [String] {
        if inv.hosts.contains(part) { return [part] }
        let (base, slice) = Self.splitSubscript(part)
        let matcher = try Self.matcher(base)
        var results: [String] = []
        let groups = inv.groups.keys.sorted().filter(matcher)
        for g in groups { for h in inv.hostsIn(g) where !results.contains(h) { results.append(h) } }
        if groups.isEmpty || base.hasPrefix("~") || base.contains(where: { ".?*[".contains($0) }) {
            for h in inv.hosts where matcher(h) && !results.contains(h) { results.append(h) }
        }
        guard let sub = slice else { return results }
        let (start, end) = sub
        let n = results.count
        let s = start < 0 ? n + start : start
        guard s >= 0, s < n else { return [] }
        guard let end else { return [results[s]] }
        let e = min(end == -1 ? n - 1 : end, n - 1)
        return e >= s ? Array(results[s...e]) : []
    }

    /// `web[1]`, `web[-1]`, `web[0:2]` (inclusive), `web[1:]`: the base and the subscript.
    /// Like Ansible, `web[0-2]` is the same range (its old spelling), not a glob.
    static func splitSubscript(_ part: String) -> (String, (Int, Int?)?) {
        guard !part.hasPrefix("~"), part.hasSuffix("]"), let open = part.lastIndex(of: "["), open > part.startIndex else {
            return (part, nil)
        }
        let inner = part[part.index(after: open)..<part.index(before: part.endIndex)]
        let base = String(part[..<open])
        if let i = Int(inner) { return (base, (i, nil)) }
        let digits = inner.prefix { $0.isASCII && $0.isNumber }
        let rest = inner.dropFirst(digits.count)
        if !digits.isEmpty, let sep = rest.first, sep == ":" || sep == "-", rest.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }),
            let a = Int(digits)
        {
            let bounds = [digits, rest.dropFirst()]
            if bounds[1].isEmpty { return (base, (a, -1)) }
            if let b = Int(bounds[1]) { return (base, (a, b)) }
        }
        return (part, nil)
    }

    /// A name test: `~regex` matched from the start, or a glob over the whole name.
    static func matcher(_ pattern: String) throws(InventoryError) -> (String) -> Bool {
        if pattern == "all" || pattern == "*" { return { _ in true } }
        let regex: String
        if pattern.hasPrefix("~") {
            regex = "^(?:" + pattern.dropFirst() + ")"
        } else {
            var r = "^"
            var inClass = false
            for c in pattern {
                switch c {
                case "*" where !inClass: r += ".*"
                case "?" where !inClass: r += "."
                case "[":
                    inClass = true
                    r += "["
                case "]":
                    inClass = false
                    r += "]"
                case "!" where inClass && r.hasSuffix("["): r += "^"
                default: r += inClass ? String(c) : NSRegularExpression.escapedPattern(for: String(c))
                }
            }
            regex = r + "$"
        }
        guard let re = try? NSRegularExpression(pattern: regex) else { throw InventoryError("`\(pattern)` is not a valid pattern") }
        return { name in re.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil }
    }
}
