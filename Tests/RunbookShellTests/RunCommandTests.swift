import Foundation
import Lab
import Testing
import TestSupport

/// `rbsh run db-connection-failure`, the real binary against the real lab.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired))
struct RunCommandTests {
    static func transcriptPath() -> String { NSTemporaryDirectory() + "rbsh-test-\(UUID().uuidString).jsonl" }

    static func events(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test func aHealthyLabHasNoFindingsAndExitsZero() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let path = Self.transcriptPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let p = try RbshProcess.run(["run", "db-connection-failure", "--transcript", path])
            #expect(p.status == 0, "\(p.stdout)\n\(p.stderr)")
            #expect(p.stdout.contains("[7/7] server-log"))
            #expect(p.stdout.contains("OK — "))
            #expect(!p.stdout.contains("WARNING") && !p.stdout.contains("CRITICAL"), "nothing above info: \(p.stdout)")
            let events = try Self.events(path)
            let header = try #require(events.first)
            #expect(header["format"] as? String == "rbsh-transcript")
            #expect(header["version"] as? Int == 1)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(!text.contains(lab.password), "the lab's password reached the transcript")
            let ends = events.filter { $0["type"] as? String == "step_end" }
            #expect(ends.count == 7)
            #expect(events.dropLast().last?["type"] as? String == "session_end")
            #expect(events.last?["type"] as? String == "seal")
            #expect(events.dropFirst().allSatisfy { ($0["prev"] as? String)?.count == 64 && $0["seq"] is Int })
        }
    }

    @Test func theDatabaseStoppedIsACriticalFindingAndExitTwo() async throws {
        try await LabAccess.alone {
            _ = try LabFixture.require()
            let stop = try RbshProcess.run(["lab", "inject", "postgres-down"])
            #expect(stop.status == 0, "\(stop.stderr)")
            defer { _ = try? RbshProcess.run(["lab", "clear", "postgres-down"]) }
            let path = Self.transcriptPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let p = try RbshProcess.run(["run", "db-connection-failure", "--transcript", path, "--format", "json"])
            #expect(p.status == 2, "\(p.stdout)\n\(p.stderr)")
            #expect(p.stderr.isEmpty, "no stack trace, no error: \(p.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [String: Any])
            #expect(report["status"] as? String == "critical")
            let findings = try #require(report["findings"] as? [[String: Any]])
            #expect(findings.first?["id"] as? String == "postgres-unreachable")
            #expect(findings.first?["severity"] as? String == "critical")
            let steps = try #require(report["steps"] as? [[String: Any]])
            #expect(steps.map { $0["id"] as? String } == ["accepting", "container", "server-log"], "the walk goes straight to the log")
            let clear = try RbshProcess.run(["lab", "clear", "postgres-down"])
            #expect(clear.status == 0)
            let again = try RbshProcess.run(["run", "db-connection-failure", "--transcript", path + ".again"])
            try? FileManager.default.removeItem(atPath: path + ".again")
            #expect(again.status == 0, "the lab recovers: \(again.stdout)")
        }
    }

    @Test func idleConnectionsAreFoundAndTheAllowedFixIsVerified() async throws {
        try await LabAccess.alone {
            _ = try LabFixture.require()
            let inject = try RbshProcess.run(["lab", "inject", "idle-connections"])
            #expect(inject.status == 0, "\(inject.stderr)")
            defer { _ = try? RbshProcess.run(["lab", "clear", "idle-connections"]) }
            let path = Self.transcriptPath()
            defer { try? FileManager.default.removeItem(atPath: path) }

            let diagnose = try RbshProcess.run([
                "run", "db-connection-failure", "--answer", "idle_minutes=0", "--format", "json", "--transcript", path,
            ])
            #expect(diagnose.status == 1, "\(diagnose.stdout)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(diagnose.stdout.utf8)) as? [String: Any])
            let ids = Set((report["findings"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
            #expect(ids.isSuperset(of: ["many-idle-connections", "idle-connections-old"]))
            let remediations = report["remediations"] as? [[String: Any]] ?? []
            let terminate = remediations.first { $0["id"] as? String == "terminate-idle" }
            #expect(terminate?["offered"] as? Bool == true)
            #expect(terminate?["applied"] as? Bool == false, "not allowed without --allow")

            let fix = try RbshProcess.run([
                "run", "db-connection-failure", "--answer", "idle_minutes=0", "--allow", "changes", "--format", "json",
                "--transcript", path + ".fix",
            ])
            try? FileManager.default.removeItem(atPath: path + ".fix")
            let fixed = try #require(try JSONSerialization.jsonObject(with: Data(fix.stdout.utf8)) as? [String: Any])
            let applied = (fixed["remediations"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "terminate-idle" }
            #expect(applied?["applied"] as? Bool == true)
            #expect(applied?["verified"] as? Bool == true)
            // What was found is kept, marked resolved; the status and the exit are those of what is still open.
            let found = fixed["findings"] as? [[String: Any]] ?? []
            let states = Dictionary(found.compactMap { f in (f["id"] as? String).map { ($0, f["state"] as? String ?? "") } }) { a, _ in a }
            #expect(states["idle-connections-old"] == "resolved", "\(fix.stdout)")
            #expect(states["many-idle-connections"] == "resolved")
            #expect(fixed["status"] as? String == "ok" && fix.status == 0, "\(fix.stdout)")
        }
    }

    @Test func badUsageExitsSixtyFourWithOneLine() throws {
        let unknown = try RbshProcess.run(["run", "no-such-runbook"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.split(separator: "\n").count == 1, "\(unknown.stderr)")
        let badAnswer = try RbshProcess.run(["run", "db-connection-failure", "--answer", "novalue"])
        #expect(badAnswer.status == 64)
    }

    @Test func aBrokenRunbookExitsThreeWithItsDiagnostics() throws {
        let path = NSTemporaryDirectory() + "broken-\(UUID().uuidString).yaml"
        try "id: broken\ntitle: Broken\ncategory: data\nsteps:\n  - id: a\n    sqll: select 1\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = try RbshProcess.run(["run", path])
        #expect(p.status == 3)
        #expect(p.stderr.contains(":6:5: unknown step kind `sqll`"), "\(p.stderr)")
    }

    @Test func everyDesignedCommandIsListedInHelp() throws {
        let help = try RbshProcess.run(["--help"])
        for command in ["shell", "run", "replay", "list", "show", "graph", "lint", "fmt", "import", "transcript", "test", "lab"] {
            #expect(help.stdout.contains("  \(command)"), "\(command) missing from --help")
        }
        let missing = try RbshProcess.run(["replay", "some.jsonl"])
        #expect(missing.status == 64)
        #expect(missing.stderr == "rbsh: cannot read some.jsonl\n")
        let graph = try RbshProcess.run(["graph", "db-connection-failure"])
        #expect(graph.status == 0)
        #expect(graph.stdout.hasPrefix("graph TD\n"))
    }
}

/// Exit statuses with findings that could not be evaluated.
@Suite struct UnknownStatusTests {
    static func runbook(withWarning: Bool) -> String {
        """
        id: unknowable
        title: Unknowable
        category: tool
        steps:
          - id: kind
            ask: Which?
            choices: [a, b]
          - id: check
            shell: "true"
            findings:
              - id: depends-on-the-answer
                when: steps.kind.answer == "a"
                severity: critical
                message: the answer was a
        \(withWarning ? "      - id: always\n        when: exit_code == 0\n        severity: warning\n        message: always" : "")
        """
    }

    @Test func unknownAloneExits3AndAWarningBesideItExits1() throws {
        let dir = NSTemporaryDirectory() + "rbsh-unknown-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (warning, exit) in [(false, Int32(3)), (true, Int32(1))] {
            let path = dir + "/u\(warning).yaml"
            try Self.runbook(withWarning: warning).write(toFile: path, atomically: true, encoding: .utf8)
            let p = try RbshProcess.run(["run", path, "--format", "json", "--transcript", "/dev/null"])
            #expect(p.status == exit, "\(p.stdout) \(p.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [String: Any])
            let findings = report["findings"] as? [[String: Any]] ?? []
            #expect(findings.contains { $0["id"] as? String == "depends-on-the-answer" && $0["severity"] as? String == "unknown" })
        }
    }
}
