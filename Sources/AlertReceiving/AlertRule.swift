import Foundation
import RunbookKit
import Yams

/// `alerts:` in the config: which runbook an alert starts, with what answers and how far it may go.
///
///     alerts:
///       - match: {alertname: NetworkProbeIdleConnections}
///         match_re: {instance: "db-.*"}
///         runbook: db-connection-failure
///         answers: {idle_minutes: "60", host: "${labels.instance}"}
///         targets: {postgres: "postgres://rbsh@${labels.instance}/network_probe"}   # the alert's labels may pick a target
///         allow: none            # none | safe | changes; never destructive
///         hosts: /etc/ansible/hosts   # on an inventory's hosts over ssh (as `rbsh run --hosts`)
///         limit: "${labels.instance}" # Ansible's host patterns: the alert's own host, say
public struct AlertRule: Sendable, Hashable {
    public var match: [String: String]
    /// Label regular expressions, anchored at both ends as Alertmanager's are.
    public var matchRegex: [String: String]
    public var runbook: String
    public var answers: [String: String]
    /// The highest risk its runs may take without a person: nil for none.
    public var allow: Risk?
    /// Targets for its runs (postgres, redis, api), which may read the alert's labels; the others stay as configured.
    public var targets: [String: String] = [:]
    /// An Ansible inventory: its runs walk the runbook on those hosts over ssh.
    public var hosts: String?
    /// Ansible's host patterns within `hosts`, which may read the alert's labels.
    public var limit: String?

    public init(
        match: [String: String], matchRegex: [String: String] = [:], runbook: String, answers: [String: String] = [:], allow: Risk? = nil
    ) {
        self.match = match
        self.matchRegex = matchRegex
        self.runbook = runbook
        self.answers = answers
        self.allow = allow
    }

    public func matches(_ labels: [String: String]) -> Bool {
        for (k, v) in match where labels[k] != v { return false }
        for (k, pattern) in matchRegex {
            let value = labels[k] ?? ""
            guard let re = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return false }
            if re.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) == nil { return false }
        }
        return true
    }

    /// The answers with `${labels.X}` and `${annotations.X}` filled in (empty when absent).
    public func answers(labels: [String: String], annotations: [String: String]) -> [String: String] {
        Self.fill(answers, labels: labels, annotations: annotations)
    }

    /// The targets, filled in the same way.
    public func targets(labels: [String: String], annotations: [String: String]) -> TargetOverrides {
        TargetOverrides(Self.fill(targets, labels: labels, annotations: annotations)) ?? TargetOverrides()
    }

    /// The inventory and the pattern, filled in the same way; nil when the rule runs here.
    public func fleet(labels: [String: String], annotations: [String: String]) -> (hosts: String, limit: String?)? {
        guard let hosts else { return nil }
        var texts = ["hosts": hosts]
        if let limit { texts["limit"] = limit }
        let filled = Self.fill(texts, labels: labels, annotations: annotations)
        return (filled["hosts"] ?? hosts, filled["limit"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// `${labels.X}` and `${annotations.X}` filled in, once, by the runbooks' own templates
    /// (`${labels.X:-fallback}` too); what the alert lacks is empty.
    static func fill(_ texts: [String: String], labels: [String: String], annotations: [String: String]) -> [String: String] {
        var values: [String: Value] = [:]
        for (k, v) in labels { values["labels." + k] = .string(v) }
        for (k, v) in annotations { values["annotations." + k] = .string(v) }
        let scope = DictionaryScope(values)
        return texts.mapValues { Template.render($0, in: scope, unknownAs: "").text }
    }

    /// The first rule that matches the notification, with the labels and annotations it matched on.
    public static func pick(_ rules: [AlertRule], for n: AlertmanagerNotification)
        -> (rule: AlertRule, labels: [String: String], annotations: [String: String])?
    {
        for labels in n.labelSets {
            if let rule = rules.first(where: { $0.matches(labels) }) {
                let annotations = n.commonAnnotations.merging(n.alerts.first { $0.labels == labels }?.annotations ?? [:]) { a, _ in a }
                return (rule, labels, annotations)
            }
        }
        return nil
    }
}

/// `serve:` in the config.
public struct ServeSettings: Sendable, Hashable {
    public var token: String?
    public var transcripts = "transcripts"
    public var concurrency = 2
    /// Seconds a group's firing notifications start nothing new after its run.
    public var dedup: Double = 600
    /// Runs waiting at most; more is 503, for Alertmanager to retry.
    public var queue = 100
    public var maxBody = 1 << 20
    /// The largest transcript an operator's rbsh may send (`POST /transcripts`).
    public var maxTranscript = 16 << 20
    public var notify: String?
    /// Seconds running runs get to finish after SIGTERM.
    public var grace: Double = 30

    public init() {}
}

/// The alert receiver's part of the config file.
public struct AlertConfig: Sendable, Hashable {
    public var rules: [AlertRule] = []
    public var serve = ServeSettings()

    public init(rules: [AlertRule] = [], serve: ServeSettings = ServeSettings()) {
        self.rules = rules
        self.serve = serve
    }

    /// Reads `alerts:` and `serve:` from a config document; a problem is one line naming the key.
    public static func read(_ node: Node?, file: String) throws(AlertError) -> AlertConfig {
        var config = AlertConfig()
        func fail(_ n: Node?, _ message: String) -> AlertError {
            AlertError("\(file):\(n?.mark?.line ?? 1): \(message)")
        }
        func strings(_ n: Node?, _ what: String) throws(AlertError) -> [String: String] {
            guard let n else { return [:] }
            guard let m = n.mapping else { throw fail(n, "\(what) must be a mapping of name: value") }
            var out: [String: String] = [:]
            for (k, v) in m {
                guard let key = k.string, let value = v.string else { throw fail(k, "\(what) must be a mapping of name: value") }
                out[key] = value
            }
            return out
        }
        if let list = node?["alerts"] {
            guard let items = list.sequence else { throw fail(list, "`alerts` must be a list of rules") }
            for item in items {
                for (k, _) in item.mapping ?? [:] {
                    guard let key = k.string else { continue }
                    guard ["match", "match_re", "runbook", "answers", "allow", "targets", "hosts", "limit"].contains(key) else {
                        throw fail(
                            k, "unknown key `\(key)` in an alert rule (match, match_re, runbook, answers, allow, targets, hosts, limit)")
                    }
                }
                guard let runbook = item["runbook"]?.string else { throw fail(item, "an alert rule needs `runbook`") }
                let match = try strings(item["match"], "match")
                let regex = try strings(item["match_re"], "match_re")
                for (k, p) in regex where (try? NSRegularExpression(pattern: p)) == nil {
                    throw fail(item["match_re"], "match_re.\(k): `\(p)` is not a regular expression")
                }
                guard !match.isEmpty || !regex.isEmpty else { throw fail(item, "an alert rule needs `match` or `match_re`") }
                var allow: Risk?
                if let a = item["allow"]?.string, a != "none" {
                    guard let risk = Risk(rawValue: a), risk < .destructive else {
                        throw fail(item["allow"], "allow is none, safe or changes (an alert never runs a destructive fix)")
                    }
                    allow = risk
                }
                var rule = AlertRule(
                    match: match, matchRegex: regex, runbook: runbook, answers: try strings(item["answers"], "answers"), allow: allow)
                rule.targets = try strings(item["targets"], "targets")
                if let n = item["hosts"] {
                    guard let h = n.string, !h.isEmpty else {
                        throw fail(n, "hosts is an Ansible inventory: a file, an executable or a comma list")
                    }
                    rule.hosts = h
                }
                if let n = item["limit"] {
                    guard rule.hosts != nil else { throw fail(n, "limit picks among the rule's hosts: give `hosts` too") }
                    guard let l = n.string else { throw fail(n, "limit is Ansible's host patterns, such as agents:!agent-03") }
                    rule.limit = l
                }
                for name in rule.targets.keys where !["postgres", "redis", "api"].contains(name) {
                    throw fail(item["targets"], "targets.\(name): a rule may set postgres, redis or api")
                }
                config.rules.append(rule)
            }
        }
        if let s = node?["serve"] {
            var serve = ServeSettings()
            serve.token = s["token"]?.string
            if let t = s["transcripts"]?.string { serve.transcripts = t }
            if let n = s["concurrency"] {
                guard let c = n.int, c >= 1 else { throw fail(n, "serve.concurrency must be a whole number, 1 or more") }
                serve.concurrency = c
            }
            if let n = s["queue"] {
                guard let q = n.int, q >= 1 else { throw fail(n, "serve.queue must be a whole number, 1 or more") }
                serve.queue = q
            }
            if let n = s["dedup"] {
                guard let d = n.string.flatMap(DurationText.seconds) else { throw fail(n, "serve.dedup is a duration such as 10m") }
                serve.dedup = d
            }
            if let n = s["grace"] {
                guard let d = n.string.flatMap(DurationText.seconds) else { throw fail(n, "serve.grace is a duration such as 30s") }
                serve.grace = d
            }
            if let n = s["max_body"] {
                guard let b = n.string.flatMap(Self.bytes) else { throw fail(n, "serve.max_body is a size such as 1MiB") }
                serve.maxBody = b
            }
            if let n = s["max_transcript"] {
                guard let b = n.string.flatMap(Self.bytes) else { throw fail(n, "serve.max_transcript is a size such as 16MiB") }
                serve.maxTranscript = b
            }
            serve.notify = s["notify"]?.string
            config.serve = serve
        }
        return config
    }

    /// `1048576`, `512KiB`, `1MiB`, `1MB` as bytes.
    static func bytes(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces)
        for (suffix, scale) in [("KiB", 1024), ("MiB", 1 << 20), ("KB", 1000), ("MB", 1_000_000), ("k", 1024), ("M", 1 << 20)]
        where t.hasSuffix(suffix) {
            return Int(t.dropLast(suffix.count)).map { $0 * scale }
        }
        return Int(t)
    }
}
