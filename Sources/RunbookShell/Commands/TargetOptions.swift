import AlertReceiving
import ArgumentParser
import Clients
import Foundation
import Lab
import RunbookKit
import Yams

/// The options every command takes to say what it diagnoses.
public struct TargetOptions: ParsableArguments {
    public init() {}

    @Option(
        name: .customLong("postgres"),
        help: ArgumentHelp("PostgreSQL URL (else DATABASE_URL, the config, the lab, libpq's environment).", valueName: "url"))
    var postgres: String?

    @Option(
        name: .customLong("redis"),
        help: ArgumentHelp("Redis URL (else REDIS_URL, the config, the lab, redis://127.0.0.1:6379).", valueName: "url"))
    var redis: String?

    @Option(
        name: .customLong("api"),
        help: ArgumentHelp("Management API URL (else API_URL, the config, the lab, http://127.0.0.1:8000).", valueName: "url"))
    var api: String?

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp("Config file (else ./rbsh.yaml, then $XDG_CONFIG_HOME/rbsh/config.yaml).", valueName: "path"))
    public var config: String?

    @Option(name: .customLong("runbooks"), help: ArgumentHelp("Look for runbooks here first.", valueName: "dir"))
    var runbooks: String?

    /// Targets and secrets, resolved in order: flags, environment, config, the lab, defaults.
    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ResolvedTargets {
        let config = try RbshConfig.load(explicit: config, environment: environment)
        let lab = LabState.load()
        func pick(_ flag: String?, _ env: String, _ fromConfig: String?, _ fromLab: String?) -> (String?, String) {
            if let flag { return (flag, "flag") }
            if let e = environment[env], !e.isEmpty { return (e, env) }
            if let fromConfig { return (fromConfig, "config") }
            if let fromLab { return (fromLab, "lab") }
            return (nil, "default")
        }
        let pg = pick(postgres, "DATABASE_URL", config.postgres, lab?.postgresURL)
        let rd = pick(redis, "REDIS_URL", config.redis, lab?.redisURL)
        let ap = pick(api, "API_URL", config.api, lab?.apiURL)
        var targets = Targets(postgres: pg.0, redis: rd.0 ?? Targets.defaultRedis, api: ap.0 ?? Targets.defaultAPI)
        targets.extras = config.extras
        if let lab, [pg.1, rd.1, ap.1].contains("lab") {
            // Only what belongs to the targets that are the lab's, and never over what the config says.
            let fromLab = lab.targetExtras.filter { key, _ in
                switch Self.owner(ofExtra: key) {
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
            throw ValidationError("the \(name) target from \(from) cannot be used: \(redactor.redact(problem))")
        }
        return ResolvedTargets(
            targets: targets, sources: ["postgres": pg.1, "redis": rd.1, "api": ap.1],
            secrets: secrets, usingLab: [pg.1, rd.1, ap.1].contains("lab"), configPath: config.path)
    }

    public var runbookDirectories: [String] { RunbookCatalogue.directories(flag: runbooks) }

    /// Which target an extra name belongs to: `postgres.log` and
    /// `services.postgres.*` to PostgreSQL, `services.redis.*` to Redis, the
    /// rest (the API, its agents, its certificate) to the API.
    static func owner(ofExtra key: String) -> String {
        if key.hasPrefix("postgres.") || key.hasPrefix("services.postgres.") { return "postgres" }
        if key.hasPrefix("redis.") || key.hasPrefix("services.redis.") { return "redis" }
        return "api"
    }
}

public struct ResolvedTargets {
    public var targets: Targets
    /// Where each target came from: flag, DATABASE_URL, config, lab, default.
    var sources: [String: String]
    public var secrets: [String]
    var usingLab: Bool
    /// The config file read, if any.
    var configPath: String? = nil
}

/// `rbsh.yaml`: targets, how services are restarted, and values to keep out of transcripts.
///
///     targets:
///       postgres: postgres://app@db.internal/network_probe
///       redis: redis://cache.internal:6379/0
///       api: http://mgmt.internal:8000
///       postgres.log: /var/log/postgresql/postgresql-15-main.log   # more names runbooks read where present
///       api.log: /var/log/network-probe/management.log
///     services:
///       management: {restart: "systemctl restart network-probe-management"}
///     secrets: [the-api-token]
public struct RbshConfig {
    /// The file it was read from, if any.
    var path: String?
    var postgres: String?
    var redis: String?
    var api: String?
    /// `targets.*` beyond the three URLs, and `services.NAME.ACTION` commands, as runbooks read them.
    var extras: [String: String] = [:]
    var secrets: [String] = []
    /// `alerts:` and `serve:`, for `rbsh serve` and `rbsh run --alert`.
    public var alerts = AlertConfig()

    public static func load(explicit: String?, environment: [String: String]) throws -> RbshConfig {
        var candidates: [String] = []
        if let explicit {
            candidates = [explicit]
            guard FileManager.default.fileExists(atPath: explicit) else { throw ValidationError("no config file \(explicit)") }
        } else {
            candidates.append("rbsh.yaml")
            let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.config")
            candidates.append(base + "/rbsh/config.yaml")
        }
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read \(path)") }
            let node: Node?
            do { node = try Yams.compose(yaml: text) } catch { throw ValidationError("\(path): not valid YAML") }
            var config = RbshConfig()
            config.path = path
            let targets = node?["targets"]
            config.postgres = targets?["postgres"]?.string
            config.redis = targets?["redis"]?.string
            config.api = targets?["api"]?.string
            for (k, v) in targets?.mapping ?? [:] {
                guard let key = k.string, !["postgres", "redis", "api"].contains(key) else { continue }
                guard let value = v.string else { throw ValidationError("\(path): targets.\(key) must be text") }
                config.extras[key] = value
            }
            for (service, actions) in node?["services"]?.mapping ?? [:] {
                guard let name = service.string, let mapping = actions.mapping else {
                    throw ValidationError("\(path): services are NAME: {restart: COMMAND}")
                }
                for (action, command) in mapping {
                    guard let verb = action.string, let text = command.string else {
                        throw ValidationError("\(path): services.\(name) maps an action (restart, start, stop) to a command")
                    }
                    config.extras["services.\(name).\(verb)"] = text
                }
            }
            config.secrets = node?["secrets"]?.sequence?.compactMap(\.string) ?? []
            do { config.alerts = try AlertConfig.read(node, file: path) } catch { throw ValidationError(error.description) }
            if let token = config.alerts.serve.token { config.secrets.append(token) }
            return config
        }
        return RbshConfig()
    }
}

/// Whether a target URL can be used at all, before anything connects.
public enum TargetCheck {
    /// Why `value` cannot be the `target` (postgres, redis, api), or nil.
    public static func problem(_ target: String, _ value: String) -> String? {
        switch target {
        case "postgres":
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
    static func describe(source: String, target: String, config: String?) -> String {
        switch source {
        case "flag": return "--\(target)"
        case "config": return "the config file \(config ?? "rbsh.yaml") (targets.\(target))"
        case "lab": return "the lab"
        case "default": return "the default"
        default: return "the environment variable \(source)"
        }
    }
}
