import AlertReceiving
import Foundation
import RunbookKit

/// What an alert asks of a run, by the rule that matched it: the runbook,
/// the targets (the rule's, over the configured ones), the answers, how far
/// its fixes may go, and the hosts it walks. `rbsh run --alert` and rbsh
/// serve's runs start from this one value.
public struct AlertRunPlan: Sendable {
    public var runbook: String
    public var targets: Targets
    public var answers: [String: String]
    public var allow: Risk?
    /// An inventory and Ansible's host patterns: the run walks those hosts.
    public var hosts: String?
    public var limit: String?
    /// The alert, for the transcript's header.
    public var origin: AlertOrigin

    /// The run `rule` starts for an alert of these labels, over `base`; the
    /// rule's targets filled in from the labels must be usable.
    public init(rule: AlertRule, origin: AlertOrigin, base: Targets) throws(ConfigError) {
        let overrides = rule.targets(labels: origin.labels, annotations: origin.annotations)
        try Self.check(overrides)
        let fleet = rule.fleet(labels: origin.labels, annotations: origin.annotations)
        self.init(
            runbook: rule.runbook, targets: overrides.applied(to: base),
            answers: rule.answers(labels: origin.labels, annotations: origin.annotations),
            allow: rule.allow, hosts: fleet?.hosts, limit: fleet?.limit, origin: origin)
    }

    /// The run a queued job (rbsh serve's journal) asks for, over `base`.
    public init(job: AlertRunQueue.Job, base: Targets) throws(ConfigError) {
        try Self.check(job.targets)
        self.init(
            runbook: job.runbook, targets: job.targets.applied(to: base), answers: job.answers, allow: job.allow, hosts: job.hosts,
            limit: job.limit,
            origin: AlertOrigin(groupKey: job.groupKey, status: "firing", labels: job.labels, annotations: job.annotations))
    }

    init(
        runbook: String, targets: Targets, answers: [String: String], allow: Risk?, hosts: String?, limit: String?, origin: AlertOrigin
    ) {
        self.runbook = runbook
        self.targets = targets
        self.answers = answers
        self.allow = allow
        self.hosts = hosts
        self.limit = limit
        self.origin = origin
    }

    /// The rule the config picks for a saved notification (`rbsh run --alert`); an error says why none.
    public static func pick(_ data: Data, rules: [AlertRule], base: Targets) throws(ConfigError) -> AlertRunPlan {
        let n: AlertmanagerNotification
        do { n = try AlertmanagerNotification.decode(data) } catch { throw ConfigError("\(error)") }
        guard let picked = AlertRule.pick(rules, for: n) else {
            let labels = n.commonLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            throw ConfigError(
                "no alert rule matches \(labels.isEmpty ? "the alert" : labels)\(rules.isEmpty ? " (the config has no `alerts:`)" : "")")
        }
        let origin = AlertOrigin(groupKey: n.groupKey, status: n.status, labels: picked.labels, annotations: picked.annotations)
        return try AlertRunPlan(rule: picked.rule, origin: origin, base: base)
    }

    /// The answers as a session takes them, given by the alert's rule.
    public var presets: [String: (value: String, by: Decider)] { answers.mapValues { ($0, Decider.alert) } }

    static func check(_ overrides: TargetOverrides) throws(ConfigError) {
        for (name, url) in overrides.entries {
            if let problem = TargetCheck.problem(name, url) { throw ConfigError("the alert rule's targets.\(name) (\(url)): \(problem)") }
        }
    }
}
