import AlertReceiving
import Foundation
import RunbookKit
import Yams

/// Why the config file cannot be used; one line, never a secret.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
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
///     memory: {index: /srv/rbsh/memory.sqlite, url: "http://rbsh.internal:9095", token: the-serve-token}   # or recall: off
///     signing: {key: ~/.ssh/id_ed25519, principal: li@example.com, allowed_signers: /etc/rbsh/allowed_signers}
///     approvals: {folder: /srv/rbsh/approvals, require: {destructive: 1}, ttl: 15m}
public struct RbshConfig: Sendable {
    /// The file it was read from, if any.
    public var path: String?
    public var postgres: String?
    public var redis: String?
    public var api: String?
    /// `targets.*` beyond the three URLs, and `services.NAME.ACTION` commands, as runbooks read them.
    public var extras: [String: String] = [:]
    public var secrets: [String] = []
    /// `alerts:` and `serve:`, for `rbsh serve` and `rbsh run --alert`.
    public var alerts = AlertConfig()
    /// `memory:`, the incident memory.
    public var memory = MemoryConfig()
    /// `signing:`, the operator's SSH key and the team's allowed_signers.
    public var signing = SigningConfig()
    /// `approvals:`, which fixes need other operators' approval (nil: none do).
    public var approvals: ApprovalsConfig?

    /// `memory: {index: PATH, recall: off, url: URL, token: TOKEN}`: where the index of past sessions is,
    /// whether it is used, and a team's rbsh serve that finished transcripts are sent to and asked.
    public struct MemoryConfig: Sendable {
        public var index: String?
        public var enabled = true
        public var url: String?
        public var token: String?
        public init() {}
    }

    public init() {}

    /// `explicit` (`--config`), else ./rbsh.yaml, else $XDG_CONFIG_HOME/rbsh/config.yaml; none is an empty config.
    public static func load(explicit: String?, environment: [String: String]) throws(ConfigError) -> RbshConfig {
        var candidates: [String] = []
        if let explicit {
            candidates = [explicit]
            guard FileManager.default.fileExists(atPath: explicit) else { throw ConfigError("no config file \(explicit)") }
        } else {
            candidates.append("rbsh.yaml")
            let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.config")
            candidates.append(base + "/rbsh/config.yaml")
        }
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ConfigError("cannot read \(path)") }
            let node: Node?
            do { node = try Yams.compose(yaml: text) } catch { throw ConfigError("\(path): not valid YAML") }
            return try read(node, path: path)
        }
        return RbshConfig()
    }

    static func read(_ node: Node?, path: String) throws(ConfigError) -> RbshConfig {
        var config = RbshConfig()
        config.path = path
        let targets = node?["targets"]
        config.postgres = targets?["postgres"]?.string
        config.redis = targets?["redis"]?.string
        config.api = targets?["api"]?.string
        for (k, v) in targets?.mapping ?? [:] {
            guard let key = k.string, !["postgres", "redis", "api"].contains(key) else { continue }
            guard let value = v.string else { throw ConfigError("\(path): targets.\(key) must be text") }
            config.extras[key] = value
        }
        for (service, actions) in node?["services"]?.mapping ?? [:] {
            guard let name = service.string, let mapping = actions.mapping else {
                throw ConfigError("\(path): services are NAME: {restart: COMMAND}")
            }
            for (action, command) in mapping {
                guard let verb = action.string, let text = command.string else {
                    throw ConfigError("\(path): services.\(name) maps an action (restart, start, stop) to a command")
                }
                config.extras["services.\(name).\(verb)"] = text
            }
        }
        config.secrets = node?["secrets"]?.sequence?.compactMap(\.string) ?? []
        if let memory = node?["memory"] {
            guard memory.mapping != nil else { throw ConfigError("\(path): memory is {index: PATH, recall: on|off}") }
            config.memory.index = memory["index"]?.string
            config.memory.url = memory["url"]?.string
            config.memory.token = memory["token"]?.string
            if let token = config.memory.token { config.secrets.append(token) }
            if let recall = memory["recall"] {
                guard let on = recall.bool ?? (recall.string.map { ["on", "off"].contains($0) ? $0 == "on" : nil } ?? nil) else {
                    throw ConfigError("\(path): memory.recall is on or off")
                }
                config.memory.enabled = on
            }
        }
        config.signing = try SigningConfig.read(node?["signing"], path: path)
        config.approvals = try ApprovalsConfig.read(node?["approvals"], signing: config.signing, path: path)
        if let token = config.approvals?.token { config.secrets.append(token) }
        do { config.alerts = try AlertConfig.read(node, file: path) } catch { throw ConfigError(error.description) }
        if let token = config.alerts.serve.token { config.secrets.append(token) }
        return config
    }
}
