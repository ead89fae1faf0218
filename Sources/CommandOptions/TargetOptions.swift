import ArgumentParser
import Foundation
import RunbookKit
import Runs

/// The options every command takes to say what it diagnoses: rbsh's, and
/// rbsh serve's receiver's.
public struct TargetOptions: ParsableArguments {
    public init() {}

    @Option(
        name: .customLong("postgres"),
        help: ArgumentHelp("PostgreSQL URL (else DATABASE_URL, the config, the lab, libpq's environment).", valueName: "url"))
    public var postgres: String?

    @Option(
        name: .customLong("redis"),
        help: ArgumentHelp("Redis URL (else REDIS_URL, the config, the lab, redis://127.0.0.1:6379).", valueName: "url"))
    public var redis: String?

    @Option(
        name: .customLong("api"),
        help: ArgumentHelp("Management API URL (else API_URL, the config, the lab, http://127.0.0.1:8000).", valueName: "url"))
    public var api: String?

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp("Config file (else ./rbsh.yaml, then $XDG_CONFIG_HOME/rbsh/config.yaml).", valueName: "path"))
    public var config: String?

    @Option(name: .customLong("runbooks"), help: ArgumentHelp("Look for runbooks here first.", valueName: "dir"))
    public var runbooks: String?

    /// Targets and secrets, resolved in order: flags, environment, config, `lab`, defaults.
    public func resolve(lab: LabTargets?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError)
        -> ResolvedTargets
    {
        let config = try RbshConfig.load(explicit: config, environment: environment)
        return try ResolvedTargets.resolve(flags: (postgres, redis, api), config: config, lab: lab, environment: environment)
    }

    public var runbookDirectories: [String] { RunbookCatalogue.directories(flag: runbooks) }
}
