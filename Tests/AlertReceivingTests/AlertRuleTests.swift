import Foundation
import Testing
import Yams
@testable import AlertReceiving
import RunbookKit

/// Alertmanager's notifications read, and rules picking runbooks for them. Pure logic.
@Suite struct AlertRuleTests {
    static let body = #"""
        {"version":"4","groupKey":"{}:{alertname=\"NetworkProbeIdleConnections\"}","truncatedAlerts":0,"status":"firing",
         "receiver":"rbsh","groupLabels":{"alertname":"NetworkProbeIdleConnections"},
         "commonLabels":{"alertname":"NetworkProbeIdleConnections","instance":"db-1:5432","severity":"warning"},
         "commonAnnotations":{"summary":"80 idle connections"},"externalURL":"http://am:9093",
         "alerts":[{"status":"firing","labels":{"alertname":"NetworkProbeIdleConnections","instance":"db-1:5432","severity":"warning"},
                    "annotations":{"summary":"80 idle connections"},"startsAt":"2026-11-27T07:00:00Z","endsAt":"0001-01-01T00:00:00Z",
                    "generatorURL":"http://prom/graph","fingerprint":"a1b2"}]}
        """#

    @Test func aVersion4NotificationReads() throws {
        let n = try AlertmanagerNotification.decode(Data(Self.body.utf8))
        #expect(n.groupKey == #"{}:{alertname="NetworkProbeIdleConnections"}"#)
        #expect(n.status == "firing")
        #expect(n.alerts.first?.fingerprint == "a1b2")
    }

    @Test func whatIsNotANotificationSaysWhyInOneLine() {
        #expect(throws: AlertError("not JSON")) { try AlertmanagerNotification.decode(Data("garbage".utf8)) }
        #expect(throws: AlertError("not an Alertmanager webhook notification: no `groupKey`")) {
            try AlertmanagerNotification.decode(Data(#"{"version":"4","status":"firing"}"#.utf8))
        }
        #expect(throws: AlertError("webhook version 3; version 4 is understood")) {
            try AlertmanagerNotification.decode(Data(#"{"version":"3","groupKey":"x","status":"firing"}"#.utf8))
        }
    }

    @Test func rulesMatchByEqualityAndAnchoredRegexAndFillAnswersFromLabels() throws {
        let yaml = """
            alerts:
              - match: {alertname: Other}
                runbook: slow-response
              - match: {alertname: NetworkProbeIdleConnections}
                match_re: {instance: "db-.*"}
                runbook: db-connection-failure
                answers: {idle_minutes: "60", where: "${labels.instance} (${annotations.summary})", missing: "${labels.nope}"}
                allow: changes
            serve:
              token: t0ken
              dedup: 10m
              concurrency: 3
              max_body: 64KiB
            """
        let config = try AlertConfig.read(try Yams.compose(yaml: yaml), file: "rbsh.yaml")
        #expect(config.serve.dedup == 600)
        #expect(config.serve.concurrency == 3)
        #expect(config.serve.maxBody == 65_536)
        let n = try AlertmanagerNotification.decode(Data(Self.body.utf8))
        let picked = try #require(AlertRule.pick(config.rules, for: n))
        #expect(picked.rule.runbook == "db-connection-failure")
        #expect(picked.rule.allow == .changes)
        let answers = picked.rule.answers(labels: picked.labels, annotations: picked.annotations)
        #expect(answers == ["idle_minutes": "60", "where": "db-1:5432 (80 idle connections)", "missing": ""])
        // Anchored: "xdb-1" is not "db-.*".
        #expect(!config.rules[1].matches(["alertname": "NetworkProbeIdleConnections", "instance": "xdb-1"]))
    }

    @Test func aDestructiveAllowOrARuleWithoutMatchIsRefused() throws {
        #expect(throws: AlertError("rbsh.yaml:4: allow is none, safe or changes (an alert never runs a destructive fix)")) {
            try AlertConfig.read(
                try Yams.compose(yaml: "alerts:\n  - match: {a: b}\n    runbook: x\n    allow: destructive\n"), file: "rbsh.yaml")
        }
        #expect(throws: AlertError("rbsh.yaml:2: an alert rule needs `match` or `match_re`")) {
            try AlertConfig.read(try Yams.compose(yaml: "alerts:\n  - runbook: x\n"), file: "rbsh.yaml")
        }
    }

    @Test func theAlertsLabelsMayChooseATarget() throws {
        let yaml = """
            alerts:
              - match: {alertname: NetworkProbeAPIDown}
                runbook: management-platform-down
                targets: {api: "http://${labels.instance}"}
            """
        let config = try AlertConfig.read(try Yams.compose(yaml: yaml), file: "rbsh.yaml")
        let rule = try #require(config.rules.first)
        #expect(rule.targets(labels: ["instance": "mgmt-2:8000"], annotations: [:]) == TargetOverrides(api: "http://mgmt-2:8000"))
        #expect(throws: AlertError("rbsh.yaml:4: targets.web: a rule may set postgres, redis or api")) {
            try AlertConfig.read(
                try Yams.compose(yaml: "alerts:\n  - match: {a: b}\n    runbook: x\n    targets: {web: http://x}\n"), file: "rbsh.yaml")
        }
    }

    @Test func aRuleMayWalkAnInventoryLimitedByTheAlertsLabels() throws {
        let yaml = "alerts:\n  - match: {a: b}\n    runbook: x\n    hosts: /etc/ansible/hosts\n    limit: \"${labels.instance}\"\n"
        let rule = try #require(try AlertConfig.read(try Yams.compose(yaml: yaml), file: "rbsh.yaml").rules.first)
        let fleet = rule.fleet(labels: ["instance": "agent-07"], annotations: [:])
        #expect(fleet?.hosts == "/etc/ansible/hosts" && fleet?.limit == "agent-07")
        // An alert without the label limits nothing: the rule's hosts, all of them.
        #expect(rule.fleet(labels: [:], annotations: [:])?.limit == nil)
        #expect(throws: AlertError("rbsh.yaml:4: limit picks among the rule's hosts: give `hosts` too")) {
            try AlertConfig.read(
                try Yams.compose(yaml: "alerts:\n  - match: {a: b}\n    runbook: x\n    limit: agents\n"), file: "rbsh.yaml")
        }
    }

    @Test func aRuleWithAnUnknownKeyIsRefused() {
        #expect(
            throws: AlertError(
                "rbsh.yaml:4: unknown key `runbok` in an alert rule (match, match_re, runbook, answers, allow, targets, hosts, limit)")
        ) {
            try AlertConfig.read(try Yams.compose(yaml: "alerts:\n  - match: {a: b}\n    runbook: x\n    runbok: y\n"), file: "rbsh.yaml")
        }
    }

    @Test func aLabelThatLooksLikeATemplateIsFilledInOnceNotAgain() {
        let rule = AlertRule(match: ["a": "b"], runbook: "x", answers: ["where": "${labels.instance} ${labels.zone:-no zone}"])
        // A label value is the alert's text: it is not itself read as a template (it used to loop for ever).
        #expect(rule.answers(labels: ["instance": "${labels.instance}"], annotations: [:]) == ["where": "${labels.instance} no zone"])
    }
}
