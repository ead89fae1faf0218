import Foundation
import Testing
import Lab
import TestSupport

/// `rbsh hosts`: what an inventory and a pattern select, named as the inventory names them.
@Suite struct HostsCommandTests {
    @Test func aCommaListAndAPatternSelectHostsByName() throws {
        let p = try RbshProcess.run(["hosts", "agent-1,agent-2,db-1,", "--limit", "agent-*:!agent-2", "--format", "json"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == #"[{"groups":["ungrouped"],"host":"agent-1","vars":{}}]"#)
    }

    @Test func nothingSelectedExitsOneAndABadInventoryIsBadUsage() throws {
        let none = try RbshProcess.run(["hosts", "a,b,", "--limit", "c"])
        #expect(none.status == 1)
        #expect(none.stdout.contains("hosts (0):"))
        let bad = try RbshProcess.run(["hosts", "/nonexistent/inventory"])
        #expect(bad.status == 64)
        #expect(bad.stderr == "rbsh: no inventory /nonexistent/inventory (a file, an executable, or a comma list such as web1,web2,)\n")
    }
}

/// `rbsh run --alert`: the runbook the rules pick for a saved notification, without a server.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired))
struct RunAlertTests {
    @Test func aSavedNotificationRunsWhatTheRulesPickAndNoMatchIsOneLine() async throws {
        try await LabAccess.sharing {
            _ = try LabFixture.require()
            let dir = NSTemporaryDirectory() + "rbsh-alert-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
            try """
            id: say
            title: Says what it was given
            category: tool
            inputs:
              - id: where
                prompt: Where
            steps:
              - id: echo
                shell: echo "alert on $WHERE"
                env: {WHERE: "${vars.where}"}
                findings:
                  - id: heard
                    when: exit_code == 0
                    severity: warning
                    message: "heard: ${output}"
            """.write(toFile: dir + "/runbooks/say.yaml", atomically: true, encoding: .utf8)
            try """
            alerts:
              - match: {alertname: ProbeDown}
                runbook: say
                answers: {where: "${labels.instance}"}
            """.write(toFile: dir + "/rbsh.yaml", atomically: true, encoding: .utf8)
            let alert =
                #"{"version":"4","groupKey":"g","status":"firing","commonLabels":{"alertname":"ProbeDown","instance":"agent-7"},"alerts":[]}"#
            let transcript = dir + "/t.jsonl"
            let p = try RbshProcess.run(
                [
                    "run", "--alert", "-", "--config", dir + "/rbsh.yaml", "--runbooks", dir + "/runbooks", "--transcript", transcript,
                    "--format", "json",
                ],
                stdin: alert)
            #expect(p.status == 1, "\(p.stdout) \(p.stderr)")
            #expect(p.stdout.contains("heard: alert on agent-7"))
            let text = try String(contentsOfFile: transcript, encoding: .utf8)
            #expect(text.contains(#""group_key":"g""#), "the alert is in the header")
            #expect(text.contains(#""by":"alert""#), "the rule's answer is recorded as the alert's")
            let other = try RbshProcess.run(
                ["run", "--alert", "-", "--config", dir + "/rbsh.yaml", "--runbooks", dir + "/runbooks"],
                stdin: alert.replacingOccurrences(of: "ProbeDown", with: "Other"))
            #expect(other.status == 3)
            #expect(other.stderr == "rbsh: no alert rule matches alertname=Other, instance=agent-7\n")
        }
    }
}
