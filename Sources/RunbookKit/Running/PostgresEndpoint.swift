import Foundation

/// Where libpq connects for a PostgreSQL target, read as libpq reads it: a host and a port, or a Unix socket
/// (a host that is a directory), or a container's server reached through `docker exec` (the guide's
/// `docker exec postgres psql`). A `postgres://` URL (its `host` and `port` parameters win over its
/// authority, as in libpq) or `key=value` pairs; what they leave out comes from PGHOST, PGPORT and PGDATABASE,
/// then libpq's defaults: the socket directory and 5432.
public struct PostgresEndpoint: Sendable, Hashable {
    /// A host name or address, a socket directory, or (docker exec) the service or container.
    public var host: String
    public var port: Int
    public var database: String?
    public var user: String?
    /// Reached by `docker exec` into the container `host` names (`docker-exec://SERVICE/DATABASE?user=U`).
    public var throughContainer: Bool

    public static let containerScheme = "docker-exec"

    /// libpq's own socket directory where no host is given (Debian's; upstream builds use /tmp).
    public static let defaultSocketDirectories = ["/var/run/postgresql", "/tmp"]

    public var isSocket: Bool { !throughContainer && host.hasPrefix("/") }

    /// What a connection check dials: `host:port` (`[v6]:port`), the socket file `DIR/.s.PGSQL.PORT`, or
    /// `docker-exec://SERVICE:PORT`.
    public var address: String {
        if throughContainer { return "\(Self.containerScheme)://\(host):\(port)" }
        if isSocket { return "\(host)/.s.PGSQL.\(port)" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    public init(host: String, port: Int = 5432, database: String? = nil, user: String? = nil, throughContainer: Bool = false) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.throughContainer = throughContainer
    }

    /// The endpoint of `conninfo` (nil or empty: libpq's environment and defaults). `directoryExists` says
    /// which default socket directory this machine has.
    public init(
        conninfo: String?, environment: [String: String],
        directoryExists: (String) -> Bool = {
            var d: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && d.boolValue
        }
    ) {
        let given = Self.parameters(conninfo ?? "")
        func pick(_ key: String, _ env: String) -> String? {
            if let v = given[key], !v.isEmpty { return v }
            if let v = environment[env], !v.isEmpty { return v }
            return nil
        }
        // Of several hosts (or ports), libpq tries the first first.
        func first(_ list: String?) -> String? { list?.split(separator: ",", omittingEmptySubsequences: false).first.map(String.init) }
        let container = given["scheme"] == Self.containerScheme
        let host =
            first(pick("host", "PGHOST")).flatMap { $0.isEmpty ? nil : $0 } ?? first(given["hostaddr"])
            ?? (Self.defaultSocketDirectories.first(where: directoryExists) ?? Self.defaultSocketDirectories[0])
        let port = first(pick("port", "PGPORT")).flatMap { Int($0) } ?? 5432
        self.init(
            host: host, port: port, database: pick("dbname", "PGDATABASE"), user: pick("user", "PGUSER"),
            throughContainer: container)
    }

    /// The parameters of a `postgres://` (or `docker-exec://`) URL or of `key=value` pairs; a URL's scheme as
    /// `scheme`.
    static func parameters(_ text: String) -> [String: String] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for scheme in ["postgresql", "postgres", containerScheme] where trimmed.lowercased().hasPrefix(scheme + "://") {
            return urlParameters(trimmed, scheme: scheme)
        }
        return keywordParameters(trimmed)
    }

    private static func urlParameters(_ text: String, scheme: String) -> [String: String] {
        var out = ["scheme": scheme]
        var rest = Substring(text.dropFirst(scheme.count + 3))
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let db = String(rest[rest.index(after: slash)...])
            if !db.isEmpty { out["dbname"] = db.removingPercentEncoding ?? db }
        }
        if let at = authority.lastIndex(of: "@") {
            let user = authority[..<at].split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            if !user.isEmpty { out["user"] = user.removingPercentEncoding ?? user }
            authority = authority[authority.index(after: at)...]
        }
        // host[:port], [v6][:port], or several of them separated by commas (the first is tried first).
        let firstHost = authority.split(separator: ",", omittingEmptySubsequences: false).first ?? ""
        var host = Substring(firstHost)
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { out["port"] = String(after.dropFirst()) }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            out["port"] = String(host[host.index(after: colon)...])
            host = host[..<colon]
        }
        if !host.isEmpty { out["host"] = String(host).removingPercentEncoding ?? String(host) }
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            if kv.count == 2 { out[kv[0]] = kv[1] }
        }
        return out
    }

    /// `key=value` pairs, values optionally in single quotes with backslash escapes, as libpq reads them.
    private static func keywordParameters(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        var chars = Array(text)[...]
        func skipSpaces() { while let c = chars.first, c.isWhitespace { chars = chars.dropFirst() } }
        while true {
            skipSpaces()
            guard !chars.isEmpty else { return out }
            var key = ""
            while let c = chars.first, c != "=", !c.isWhitespace {
                key.append(c)
                chars = chars.dropFirst()
            }
            skipSpaces()
            guard chars.first == "=" else { return out }
            chars = chars.dropFirst()
            skipSpaces()
            // A quoted value ends at its closing quote, a bare one at a space; a backslash takes the next
            // character as it is in both.
            let quoted = chars.first == "'"
            if quoted { chars = chars.dropFirst() }
            var value = ""
            while let c = chars.first, quoted ? c != "'" : !c.isWhitespace {
                chars = chars.dropFirst()
                if c == "\\", let next = chars.first {
                    value.append(next)
                    chars = chars.dropFirst()
                } else {
                    value.append(c)
                }
            }
            if quoted { chars = chars.dropFirst() }
            out[key] = value
        }
    }
}
