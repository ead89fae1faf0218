import Foundation

/// The systems a session diagnoses: PostgreSQL, Redis and the management API.
public struct Targets: Sendable, Hashable {
    /// A `postgres://` URL or `key=value` string; nil lets libpq's
    /// environment and defaults decide.
    public var postgres: String?
    public var redis: String
    public var api: String
    /// More names for `targets.*`: the lab adds `postgres.log`, say.
    public var extras: [String: String] = [:]

    public static let defaultRedis = "redis://127.0.0.1:6379"
    public static let defaultAPI = "http://127.0.0.1:8000"

    public init(postgres: String? = nil, redis: String = Targets.defaultRedis, api: String = Targets.defaultAPI) {
        self.postgres = postgres
        self.redis = redis
        self.api = api
    }

    /// The targets as they may be shown or written: no passwords.
    public var redacted: [String: String] {
        [
            "postgres": postgres.map(Redaction.redactURL) ?? "(libpq environment)",
            "redis": Redaction.redactURL(redis),
            "api": Redaction.redactURL(api),
        ]
    }

    /// The passwords in the targets, for the redactor.
    public var secrets: [String] {
        [postgres, redis, api].compactMap { $0 }.compactMap(Self.password(in:))
    }

    static func password(in url: String) -> String? {
        if let c = URLComponents(string: url), c.scheme != nil, let p = c.password, !p.isEmpty {
            return p.removingPercentEncoding ?? p
        }
        // libpq's `key=value` form, a value quoted or bare, or a URL's `?password=`.
        guard let p = PostgresEndpoint.parameters(url)["password"], !p.isEmpty else { return nil }
        return p
    }

    /// `targets.api`, `targets.api.host`, `targets.postgres.port`... for
    /// conditions and `${...}` in runbook text. Never a password.
    public var scopeValues: [String: Value] {
        var out: [String: Value] = extras.mapValues { .string($0) }
        // Where libpq connects, as libpq reads the target: a socket's address is its file, a container's is
        // `docker-exec://SERVICE:PORT`.
        let database = PostgresEndpoint(conninfo: postgres, environment: ProcessInfo.processInfo.environment)
        out["postgres"] = .string(postgres.map(Redaction.redactURL) ?? "(libpq environment)")
        out["postgres.host"] = .string(database.host)
        out["postgres.port"] = .number(Double(database.port))
        out["postgres.address"] = .string(database.address)
        if let db = database.database { out["postgres.database"] = .string(db) }
        for (name, url) in [("redis", redis), ("api", api)] {
            out[name] = .string(Redaction.redactURL(url))
            if let c = URLComponents(string: url), let scheme = c.scheme?.lowercased() {
                if let h = c.host { out["\(name).host"] = .string(h) }
                let defaultPort = name == "redis" ? 6379 : (scheme == "https" ? 443 : 80)
                out["\(name).port"] = .number(Double(c.port ?? defaultPort))
                if name == "api" {
                    // What agents dial (ws or wss, as the API is served), and its TLS port where it serves TLS.
                    let secure = scheme == "https"
                    out["api.scheme"] = .string(scheme)
                    out["api.ws"] = .string("\(secure ? "wss" : "ws")://\(c.host ?? "127.0.0.1"):\(c.port ?? defaultPort)")
                    if secure, out["api.tls_port"] == nil { out["api.tls_port"] = .number(Double(c.port ?? defaultPort)) }
                }
                let path = c.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
                if !path.isEmpty { out["\(name).database"] = .string(path) }
            }
        }
        return out
    }
}

/// Targets to use instead of the configured ones, for one run (an alert
/// rule's, filled in from the alert's labels): the others stay as they are.
public struct TargetOverrides: Sendable, Hashable, Codable {
    public var postgres: String?
    public var redis: String?
    public var api: String?

    public init(postgres: String? = nil, redis: String? = nil, api: String? = nil) {
        self.postgres = postgres
        self.redis = redis
        self.api = api
    }

    /// `postgres`, `redis` and `api` from a map of names (a config's `targets:`); nil for another name.
    public init?(_ map: [String: String]) {
        guard map.keys.allSatisfy({ ["postgres", "redis", "api"].contains($0) }) else { return nil }
        self.init(postgres: map["postgres"], redis: map["redis"], api: map["api"])
    }

    /// Each one set, by name, in a fixed order.
    public var entries: [(name: String, url: String)] {
        [("postgres", postgres), ("redis", redis), ("api", api)].compactMap { n, v in v.map { (n, $0) } }
    }

    public func applied(to base: Targets) -> Targets {
        var t = base
        if let postgres { t.postgres = postgres }
        if let redis { t.redis = redis }
        if let api { t.api = api }
        return t
    }
}
