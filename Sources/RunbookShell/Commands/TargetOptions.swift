import ArgumentParser
import Foundation
import Lab
import RunbookKit
import Yams

/// The options every command takes to say what it diagnoses.
struct TargetOptions: ParsableArguments {
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
    var config: String?

    @Option(name: .customLong("runbooks"), help: ArgumentHelp("Look for runbooks here first.", valueName: "dir"))
    var runbooks: String?

    /// Targets and secrets, resolved in order: flags, environment, config, the lab, defaults.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ResolvedTargets {
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
        if let lab, pg.1 == "lab" || ap.1 == "lab" {
            // Only what belongs to the targets that are the lab's.
            var extras = lab.targetExtras
            if pg.1 != "lab" { extras["postgres.log"] = nil }
            if ap.1 != "lab" { extras["api.tls_port"] = nil; extras["ca_file"] = nil }
            targets.extras.merge(extras) { a, _ in a }
        }
        var secrets = config.secrets + targets.secrets
        if let pw = environment["PGPASSWORD"], !pw.isEmpty { secrets.append(pw) }
        return ResolvedTargets(
            targets: targets, sources: ["postgres": pg.1, "redis": rd.1, "api": ap.1],
            secrets: secrets, usingLab: [pg.1, rd.1, ap.1].contains("lab"))
    }

    var runbookDirectories: [String] { RunbookCatalogue.directories(flag: runbooks) }
}

struct ResolvedTargets {
    var targets: Targets
    /// Where each target came from: flag, DATABASE_URL, config, lab, default.
    var sources: [String: String]
    var secrets: [String]
    var usingLab: Bool
}

/// `rbsh.yaml`: targets and values to keep out of transcripts.
///
///     targets:
///       postgres: postgres://app@db.internal/network_probe
///       redis: redis://cache.internal:6379/0
///       api: http://mgmt.internal:8000
///     secrets: [the-api-token]
struct RbshConfig {
    var postgres: String?
    var redis: String?
    var api: String?
    var secrets: [String] = []

    static func load(explicit: String?, environment: [String: String]) throws -> RbshConfig {
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
            let targets = node?["targets"]
            config.postgres = targets?["postgres"]?.string
            config.redis = targets?["redis"]?.string
            config.api = targets?["api"]?.string
            config.secrets = node?["secrets"]?.sequence?.compactMap(\.string) ?? []
            return config
        }
        return RbshConfig()
    }
}
