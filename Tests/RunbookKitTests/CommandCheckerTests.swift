import Testing

@testable import RunbookKit

/// Lint of what a step's command does: never ending, changing something
/// outside a remediation, or psql through docker where libpq would do.
@Suite struct CommandCheckerTests {
    func said(_ steps: String, remediations: String = "") -> [String] {
        let yaml = """
            id: c
            title: C
            category: tool
            steps:
            \(steps)
            """ + (remediations.isEmpty ? "" : "\nremediations:\n" + remediations)
        return RunbookLoader.load(yaml: yaml, file: "c.yaml").diagnostics.map(\.description)
    }

    @Test(arguments: [
        "tail -f /var/log/syslog", "journalctl -u docker --follow", "docker-compose logs -f management", "top", "iostat -x 1",
        "ping db.internal", "watch -n1 date", "sudo tail -F x.log | grep ERROR",
    ])
    func aCommandThatNeverEndsIsAnError(command: String) {
        let out = said("  - id: s\n    shell: \(command)")
        #expect(out.count == 1 && out[0].hasPrefix("c.yaml:6:12: ") && out[0].contains("never ends by itself"), "\(out)")
    }

    @Test(arguments: [
        "tail -n 200 /var/log/syslog", "timeout 5 tail -f x.log", "top -b -n 1", "iostat -x 1 3", "ping -c 3 db.internal",
        "docker-compose logs --tail 100 management", "docker ps --filter status=restarting", "journalctl -n 50 --no-pager",
    ])
    func aBoundedOneIsNot(command: String) {
        #expect(said("  - id: s\n    shell: \(command)").isEmpty)
    }

    @Test func segmentsAreSplitAsTheShellSplitsThem() {
        let split = CommandChecker.segments(
            #"journalctl -u api 2>&1 | grep -E 'a|b; rm x' && echo "x; kill 1" || sudo timeout 5 tail -f y &> /dev/null"#)
        #expect(split.map(\.text) == ["journalctl -u api 2>&1", #"grep -E 'a|b; rm x'"#, #"echo "x; kill 1""#, "tail -f y &> /dev/null"])
        #expect(split.map(\.bounded) == [false, false, false, true])
        // A quoted `; rm` is the pattern's, not a command: nothing is said of a step that only reads.
        #expect(said("  - id: s\n    shell: \"grep -E 'x; rm -rf /' /var/log/syslog\"").isEmpty)
    }

    @Test func changingSomethingIsARemediationsJob() {
        for command in [
            "systemctl restart postgresql", "docker-compose restart management", "kill -9 1234", "rm -rf /tmp/x", "redis-cli FLUSHALL",
        ] {
            let out = said("  - id: s\n    shell: \(command)")
            #expect(out.count == 1 && out[0].contains("a diagnostic step only reads; make it a remediation"), "\(command): \(out)")
        }
        #expect(said("  - id: s\n    postgres: DELETE FROM task_results").first?.contains("changes the database") == true)
        #expect(said("  - id: s\n    redis: [FLUSHDB]").first?.contains("changes Redis") == true)
        let fix = """
              - id: restart
                title: Restart it
                fixes: [down]
                risk: changes
                shell: systemctl restart postgresql
                guard: [s]
            """
        #expect(
            said(
                "  - id: s\n    shell: \"exit 1\"\n    findings: [{id: down, when: exit_code != 0, severity: info, message: down}]",
                remediations: fix
            ).isEmpty)
    }

    @Test func psqlThroughDockerIsSaidOnce() {
        let out = said("  - id: s\n    shell: docker exec postgres psql -U postgres -c 'SELECT 1'")
        #expect(out.count == 1 && out[0].contains("warning: ") && out[0].contains("rbsh runs the SQL itself, through libpq"), "\(out)")
    }
}
