import Clients
import Foundation
import RunbookKit

/// The targets and extras of a lab that is up, as whoever can read the lab
/// hands them over (the CLI reads its state file; `rbsh serve` passes them to
/// its receiver): run services never read the lab themselves.
public struct LabTargets: Sendable, Hashable, Codable {
    public var postgres: String
    public var redis: String
    public var api: String
    public var extras: [String: String]

    public init(postgres: String, redis: String, api: String, extras: [String: String]) {
        self.postgres = postgres
        self.redis = redis
        self.api = api
        self.extras = extras
    }

    /// The environment variable `rbsh serve` hands them to its receiver in, as JSON.
    public static let environmentName = "RBSH_LAB_TARGETS"

    public var environmentValue: String? {
        (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) }
    }

    public static func from(environment: [String: String]) -> LabTargets? {
        environment[environmentName].flatMap { try? JSONDecoder().decode(LabTargets.self, from: Data($0.utf8)) }
    }
}

/// Targets as a session gets them, with where each came from.
public struct ResolvedTargets: Sendable {
    public var targets: Targets
    /// Where each target came from: flag, DATABASE_URL, config, lab, default.
    public var sources: [String: String]
    public var secrets: [String]
    public var usingLab: Bool
    /// The config file read, if any.
    public var configPath: String?
    /// The config itself, for what else it says (`alerts:`, `serve:`).
    public var config: RbshConfig

    /// Flags, then the environment, then the config file, then the lab, then the defaults.
    public static func resolve(
        flags: (postgres: String?, redis: String?, api: String?), config: RbshConfig, lab: LabTargets?, environment: [String: String]
    ) throws(ConfigError) -> ResolvedTargets {
        func pick(_ flag: String?, _ env: String, _ fromConfig: String?, _ fromLab: String?) -> (String?, String) {
            if let flag { return (flag, "flag") }
            if let e = environment[env], !e.isEmpty { return (e, env) }
            if let fromConfig { return (fromConfig, "config") }
            if let fromLab { return (fromLab, "lab") }
            return (nil, "default")
        }
        let pg = pick(flags.postgres, "DATABASE_URL", config.postgres, lab?.postgres)
        let rd = pick(flags.redis, "REDIS_URL", config.redis, lab?.redis)
        let ap = pick(flags.api, "API_URL", config.api, lab?.api)
        var targets = Targets(postgres: pg.0, redis: rd.0 ?? Targets.defaultRedis, api: ap.0 ?? Targets.defaultAPI)
        targets.extras = config.extras
        if let lab, [pg.1, rd.1, ap.1].contains("lab") {
            // Only what belongs to the targets that are the lab's, and never over what the config says.
            let fromLab = lab.extras.filter { key, _ in
                switch owner(ofExtra: key) {
                case "postgres": return pg.1 == "lab"
                case "redis": return rd.1 == "lab"
                default: return ap.1 == "lab"
                }
            }
            targets.extras.merge(fromLab) { configured, _ in configured }
        }
        var secrets = config.secrets + targets.secrets
        if let pw = environment["PGPASSWORD"], !pw.isEmpty { secrets.append(pw) }
        // A value that cannot be a target is a mistake in how rbsh was called, not an outage to diagnose.
        let redactor = Redactor(secrets: secrets)
        for (name, value, source) in [("postgres", pg.0, pg.1), ("redis", rd.0, rd.1), ("api", ap.0, ap.1)] {
            guard let value, let problem = TargetCheck.problem(name, value) else { continue }
            let from = TargetCheck.describe(source: source, target: name, config: config.path)
            throw ConfigError("the \(name) target from \(from) cannot be used: \(redactor.redact(problem))")
        }
        return ResolvedTargets(
            targets: targets, sources: ["postgres": pg.1, "redis": rd.1, "api": ap.1],
            secrets: secrets, usingLab: [pg.1, rd.1, ap.1].contains("lab"), configPath: config.path, config: config)
    }

    /// Which target an extra name belongs to: `postgres.log` and
    /// `services.postgres.*` to PostgreSQL, `services.redis.*` to Redis, the
    /// rest (the API, its agents, its certificate) to the API.
    static func owner(ofExtra key: String) -> String {
        if key.hasPrefix("postgres.") || key.hasPrefix("services.postgres.") { return "postgres" }
        if key.hasPrefix("redis.") || key.hasPrefix("services.redis.") { return "redis" }
        return "api"
    }
}

/// Whether a target URL can be used at all, before anything connects.
public enum TargetCheck {
    /// Why `value` cannot be the `target` (postgres, redis, api), or nil.
    public static func problem(_ target: String, _ value: String) -> String? {
        switch target {
        case "postgres":
            if value.lowercased().hasPrefix(PostgresEndpoint.containerScheme + "://") {
                let endpoint = PostgresEndpoint(conninfo: value, environment: [:])
                return endpoint.host.isEmpty || endpoint.host.hasPrefix("/")
                    ? "no container: docker-exec://SERVICE/DATABASE?user=USER names the service or container PostgreSQL runs in" : nil
            }
            return PostgresConnectionString.problem(value)
        case "redis":
            do { _ = try RedisURL(parsing: value) } catch { return error.description }
            return nil
        default:
            guard let c = URLComponents(string: value), let scheme = c.scheme?.lowercased() else {
                return "not a URL such as http://127.0.0.1:8000"
            }
            guard scheme == "http" || scheme == "https" else { return "scheme `\(scheme)` is not http or https" }
            guard let host = c.host, !host.isEmpty else { return "no host" }
            if let port = c.port, !(1...65535).contains(port) { return "port \(port) is not between 1 and 65535" }
            return nil
        }
    }

    /// Where a value came from, as the operator would look for it.
    public static func describe(source: String, target: String, config: String?) -> String {
        switch source {
        case "flag": return "--\(target)"
        case "config": return "the config file \(config ?? "rbsh.yaml") (targets.\(target))"
        case "lab": return "the lab"
        case "default": return "the default"
        default: return "the environment variable \(source)"
        }
    }
}
