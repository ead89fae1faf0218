import Foundation
import Lab
import Testing
import TestSupport

/// The incident memory end to end: triage runs with fixes over injected
/// faults (fixes applied, declined, and one made to fail its verify), then
/// each fault again: its first cause says how often it was seen and what
/// fixed it, a fault never seen is new here, a fix that did not hold is never
/// called a fix. The real binary, the real lab, a memory of the test's own.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired), .serialized)
struct RecallTests {
    let state = NSTemporaryDirectory() + "rbsh-recall-\(UUID().uuidString)"
    var env: [String: String] { ["XDG_STATE_HOME": state + "/state"] }

    /// `rbsh run triage` on `fault`; its JSON report.
    func triage(_ fault: String, _ extra: [String] = [], name: String) throws -> [String: Any] {
        let inject = try RbshProcess.run(["lab", "inject", fault], timeout: 120)
        #expect(inject.status == 0, "\(fault): \(inject.stderr)")
        defer { _ = try? RbshProcess.run(["lab", "clear", fault], timeout: 120) }
        let p = try RbshProcess.run(
            ["run", "triage", "--format", "json", "--transcript", state + "/transcripts/\(name).jsonl"] + extra, environment: env,
            timeout: 120)
        return try #require(try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [String: Any], "\(p.stdout)\n\(p.stderr)")
    }

    /// The first cause of a triage report, and what the memory said of it.
    func firstCause(_ report: [String: Any]) throws -> (finding: String, recall: [String: Any]) {
        let diagnosis = try #require(report["diagnosis"] as? [String: Any], "\(report)")
        let cause = try #require((diagnosis["causes"] as? [[String: Any]])?.first, "\(diagnosis)")
        return (try #require(cause["finding"] as? String), try #require(cause["recall"] as? [String: Any], "\(cause)"))
    }

    func fixes(_ recall: [String: Any], _ key: String) -> [String] {
        (recall[key] as? [[String: Any]] ?? []).compactMap { $0["remediation"] as? String }
    }

    @Test func recurringFaultsSayHowOftenAndWhatFixedThemANewOneIsNewHere() async throws {
        try await LabAccess.alone {
            defer { try? FileManager.default.removeItem(atPath: state) }
            let lab = try LabFixture.require()
            try LabFaults(state: lab).settle()
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            // A restart that does nothing: the fix runs, and its verify finds the service still down.
            let failing = state + "/failing.yaml"
            try "services:\n  redis: {restart: \"true\"}\n".write(toFile: failing, atomically: true, encoding: .utf8)

            let first = try firstCause(try triage("postgres-down", ["--allow", "changes"], name: "pg-1"))
            #expect(first.recall["label"] as? String == "new here", "\(first)")
            _ = try triage("postgres-down", name: "pg-2")  // declined: no --allow
            _ = try triage("redis-down", name: "redis-1")  // declined
            let redisFailed = try triage("redis-down", ["--allow", "changes", "--config", failing], name: "redis-2")
            let tried = (redisFailed["remediations"] as? [[String: Any]] ?? []).filter { $0["applied"] as? Bool == true }
            #expect(!tried.isEmpty && tried.allSatisfy { $0["verified"] as? Bool == false }, "\(redisFailed)")

            // Again: the memory speaks at the diagnosis.
            let pg = try firstCause(try triage("postgres-down", name: "pg-3"))
            #expect(pg.finding == first.finding)
            #expect(pg.recall["seen"] as? Int == 2 && pg.recall["label"] as? String == "rare", "\(pg.recall)")
            #expect(fixes(pg.recall, "fixed_by") == ["restart-postgres"], "\(pg.recall)")
            #expect((pg.recall["last"] as? [String: Any])?["transcript"] as? String == state + "/transcripts/pg-2.jsonl")

            // The shell: `findings` says it, `recall` shows the last session's postmortem.
            #expect(try RbshProcess.run(["lab", "inject", "postgres-down"], timeout: 120).status == 0)
            let shell = try RbshProcess.run(
                ["shell", "--transcript", state + "/transcripts/shell.jsonl"], environment: env,
                stdin: "start db-connection-failure\nnext\nfindings\nrecall\nquit\n")
            _ = try RbshProcess.run(["lab", "clear", "postgres-down"], timeout: 120)
            #expect(shell.stdout.contains("↳ seen 3× in 30 days (frequent)"), "\(shell.stdout)\n\(shell.stderr)")
            #expect(shell.stdout.contains("the last time: \(state)/transcripts/pg-3.jsonl"), "\(shell.stdout)")
            #expect(shell.stdout.contains("## Seen before") && shell.stdout.contains("## Findings"), "\(shell.stdout)")

            let redis = try firstCause(try triage("redis-down", name: "redis-3"))
            #expect(redis.recall["seen"] as? Int == 2, "\(redis.recall)")
            #expect(fixes(redis.recall, "fixed_by").isEmpty, "a fix that did not hold is no fix: \(redis.recall)")
            #expect(!fixes(redis.recall, "did_not_hold").isEmpty, "\(redis.recall)")

            let fresh = try firstCause(try triage("idle-connections", name: "idle-1"))
            #expect(fresh.recall["label"] as? String == "new here" && fresh.recall["last"] == nil, "\(fresh.recall)")

            // The same in words, where a person reads it.
            let inject = try RbshProcess.run(["lab", "inject", "redis-down"], timeout: 120)
            #expect(inject.status == 0)
            let text = try RbshProcess.run(["run", "triage", "--transcript", state + "/transcripts/redis-4.jsonl"], environment: env)
            _ = try RbshProcess.run(["lab", "clear", "redis-down"], timeout: 120)
            #expect(text.stdout.contains("↳ seen 3× in 30 days (frequent)"), "\(text.stdout)")
            #expect(text.stdout.contains("tried, did not hold") && !text.stdout.contains("; fixed by"), "\(text.stdout)")

            // `rbsh recall`: the sessions that found it, the one whose fix verified says so.
            let listed = try RbshProcess.run(["recall", "postgres-unreachable", "--format", "json"], environment: env)
            let sessions = try #require(
                try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]], "\(listed.stderr)")
            #expect(sessions.count == 4, "three runs and the shell: \(sessions)")
            #expect(
                sessions.filter { $0["verified"] as? Bool == true }.map { $0["transcript"] as? String } == [
                    state + "/transcripts/pg-1.jsonl"
                ])

            // The postmortem of the third says what came before it, and only that.
            let export = try RbshProcess.run(["transcript", "export", state + "/transcripts/pg-3.jsonl"], environment: env)
            #expect(export.stdout.contains("## Seen before") && export.stdout.contains("seen 2× in 30 days"), "\(export.stdout)")
        }
    }

    @Test func twoProcessesIndexingAtOnceLoseNothing() async throws {
        defer { try? FileManager.default.removeItem(atPath: state) }
        let folder = state + "/shared"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Transcripts as a team's folder holds them: one real session, as if from 80 hosts.
        try """
        id: probe-check
        title: Probe check
        category: tool
        steps:
          - id: check
            shell: "exit 1"
            findings:
              - id: postgres-unreachable
                when: exit_code != 0
                severity: critical
                message: the check failed
        """.write(toFile: state + "/probe-check.yaml", atomically: true, encoding: .utf8)
        let made = try RbshProcess.run(
            ["run", state + "/probe-check.yaml", "--transcript", state + "/one.jsonl"], environment: ["RBSH_MEMORY": "off"])
        #expect(made.status == 2, "\(made.stdout)\(made.stderr)")
        let lines = try String(contentsOfFile: state + "/one.jsonl", encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        var header = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        for n in 0..<80 {
            header["host"] = "db-\(n)"
            let first = String(decoding: try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]), as: UTF8.self)
            try ([first] + lines.dropFirst().map(String.init)).joined(separator: "\n").write(
                toFile: folder + "/s\(n).jsonl", atomically: true, encoding: .utf8)
        }
        async let a = Task.detached { [env] in try RbshProcess.run(["recall", "index", folder], environment: env) }.value
        async let b = Task.detached { [env] in try RbshProcess.run(["recall", "index", folder], environment: env) }.value
        let (ra, rb) = try await (a, b)
        #expect(ra.status == 0 && rb.status == 0, "\(ra.stderr)\(rb.stderr)")
        let both = ra.stdout + rb.stdout
        #expect(both.contains("80 sessions in"), "\(ra.stdout)\n\(rb.stdout)")
        let again = try RbshProcess.run(["recall", "index", folder], environment: env)
        #expect(again.stdout.contains("0 added, 0 changed, 80 unchanged"), "\(again.stdout)")
        let found = try RbshProcess.run(["recall", "postgres-unreachable", "--limit", "500", "--format", "json"], environment: env)
        let sessions = try #require(try JSONSerialization.jsonObject(with: Data(found.stdout.utf8)) as? [[String: Any]])
        #expect(Set(sessions.compactMap { $0["host"] as? String }).count == 80)
    }
}

/// A session that never read the memory leaves SQLite shut at its end: its
/// transcript waits beside the index, and the next read adds it.
@Suite struct SessionEndMemoryTests {
    @Test func aRunWithoutFindingsLeavesTheIndexShutAndTheNextReadAddsIt() throws {
        let state = NSTemporaryDirectory() + "rbsh-pending-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let env = ["XDG_STATE_HOME": state + "/state"]
        try FileManager.default.createDirectory(atPath: state + "/none", withIntermediateDirectories: true)
        try "id: quiet\ntitle: Quiet\ncategory: tool\nsteps:\n  - id: one\n    shell: echo hi\n".write(
            toFile: state + "/quiet.yaml", atomically: true, encoding: .utf8)
        let run = try RbshProcess.run(["run", state + "/quiet.yaml", "--transcript", state + "/quiet.jsonl"], environment: env)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let index = state + "/state/rbsh/memory.sqlite"
        #expect(!FileManager.default.fileExists(atPath: index), "the run opened the index")
        #expect(try String(contentsOfFile: index + ".pending", encoding: .utf8) == state + "/quiet.jsonl\n")

        let read = try RbshProcess.run(["recall", "index", state + "/none"], environment: env)
        #expect(read.stdout.contains("1 sessions in \(index)"), "\(read.stdout)\(read.stderr)")
        #expect(try String(contentsOfFile: index + ".pending", encoding: .utf8).isEmpty)
    }
}
