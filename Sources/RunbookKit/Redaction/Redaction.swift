import Foundation

/// Masks secrets before anything is written or shown.
///
/// Known secrets (target passwords, values the config marks secret) and
/// anything that looks like one (a URL's password, `password=`, `token:`,
/// `Authorization:`, `PGPASSWORD=`, Redis `AUTH`) are replaced by a
/// placeholder. The same secret always gets the same placeholder, so a
/// transcript still shows that two places used the same value.
public final class Redactor: @unchecked Sendable {
    private let lock = NSLock()
    private var placeholders: [String: String] = [:]
    /// Known secrets, longest first (a secret inside another is replaced after it).
    private var ordered: [(secret: [UInt8], text: String, placeholder: String)] = []

    public init(secrets: [String] = []) {
        for s in secrets { _ = placeholder(for: s) }
    }

    /// Registers a value that must never be written.
    public func add(secret: String) {
        lock.lock()
        defer { lock.unlock() }
        _ = register(secret)
    }

    private func register(_ secret: String) -> String? {
        guard secret.count >= 3, secret != "***" else { return nil }
        if let p = placeholders[secret] { return p }
        let p = "«secret-\(placeholders.count + 1)»"
        placeholders[secret] = p
        ordered.append((Array(secret.utf8), secret, p))
        ordered.sort { $0.secret.count > $1.secret.count }
        return p
    }

    private func placeholder(for secret: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        return register(secret) ?? "***"
    }

    /// Every `(pattern, group)`: the group is the secret within the match.
    private static let patterns: [NSRegularExpression] = [
        // scheme://user:password@host
        #"[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:([^\s@/]+)@"#,
        // Authorization / Proxy-Authorization / Cookie headers
        #"(?i)(?:authorization|proxy-authorization|cookie|set-cookie)\s*[:=]\s*(?:(?:bearer|basic|token)\s+)?([^\r\n]+)"#,
        // PGPASSWORD=..., REDIS_PASSWORD=..., requirepass ...
        #"(?i)(?:pgpassword|redis_password|requirepass|masterauth)[ \t]*[=: \t][ \t]*"?([^\s"',;]+)"#,
        // password=..., "secret": "...", token: ..., api_key=...
        #"(?i)["']?\b[a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key)\b["']?\s*[=:]\s*["']?([^\s"',;}&]+)"#,
        // Redis AUTH [user] password, as a command line
        #"(?i)\bAUTH\s+(?:\S+\s+)?(\S+)\s*$"#,
    ].compactMap { try? NSRegularExpression(pattern: $0, options: [.anchorsMatchLines]) }

    /// Words one of the patterns needs; text with none of them skips the patterns.
    private static let triggers = ["://", "pass", "pwd", "secret", "token", "key", "auth", "cookie"]

    private static let triggerBytes = triggers.map { Array($0.utf8) }

    /// Whether any trigger word occurs, ignoring ASCII case: one pass to
    /// lower the bytes, then memmem, no String allocations.
    static func mightHoldSecret(_ text: String) -> Bool {
        var lower = Array(text.utf8)
        for i in lower.indices where lower[i] >= 65 && lower[i] <= 90 { lower[i] += 32 }
        return triggerBytes.contains { contains(lower, $0) }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                let first = n[0], last = h.count - n.count
                var i = 0
                while i <= last {
                    if h[i] == first {
                        var j = 1
                        while j < n.count && h[i + j] == n[j] { j += 1 }
                        if j == n.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }

    /// The text with every secret replaced by its placeholder.
    public func redact(_ text: String) -> String {
        guard !text.isEmpty else { return text }
        var out = text
        // Learn the secrets that patterns reveal, then replace all known ones.
        for regex in Self.mightHoldSecret(text) ? Self.patterns : [] {
            let ns = out as NSString
            for match in regex.matches(in: out, range: NSRange(location: 0, length: ns.length)) where match.numberOfRanges > 1 {
                let r = match.range(at: 1)
                guard r.location != NSNotFound else { continue }
                let secret = ns.substring(with: r)
                if secret.hasPrefix("«secret-") || secret == "***" || secret.hasPrefix("$") { continue }
                lock.lock()
                let p = register(secret)
                lock.unlock()
                if p == nil { out = (out as NSString).replacingCharacters(in: r, with: "***") }
            }
        }
        lock.lock()
        let known = ordered
        lock.unlock()
        let bytes = Array(out.utf8)
        for entry in known where Self.contains(bytes, entry.secret) {
            out = out.replacingOccurrences(of: entry.text, with: entry.placeholder)
        }
        return out
    }

    /// Redacts each argument; the one after `AUTH` (and its user form) always.
    public func redact(argv: [String]) -> [String] {
        guard let first = argv.first else { return argv }
        if first.uppercased() == "AUTH" {
            return [first]
                + argv.dropFirst().enumerated().map { i, a in
                    i == argv.count - 2 ? placeholder(for: a) : redact(a)
                }
        }
        if first.uppercased() == "CONFIG", argv.count >= 4, argv[1].uppercased() == "SET",
            ["requirepass", "masterauth"].contains(argv[2].lowercased())
        {
            return Array(argv.prefix(3)) + [placeholder(for: argv[3])]
        }
        return argv.map(redact)
    }
}

/// Stateless helpers for places that only need a URL made safe to show.
public enum Redaction {
    /// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
    public static func redactURL(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"),
            let at = url[schemeEnd.upperBound...].firstIndex(of: "@")
        else {
            return url.replacingOccurrences(of: #"(?i)(password\s*=\s*)\S+"#, with: "$1***", options: .regularExpression)
        }
        let userinfo = url[schemeEnd.upperBound..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
