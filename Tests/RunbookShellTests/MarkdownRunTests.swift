import Foundation
import Testing
import TestSupport

/// A Markdown runbook through the real rbsh: linted with its positions,
/// run unattended with its fix, walked in the shell with its prose shown.
@Suite struct MarkdownRunTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "rbsh-markdown-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/books", withIntermediateDirectories: true)
        try "x\n".write(toFile: dir + "/flag", atomically: true, encoding: .utf8)
        try """
        ---
        id: flag-check
        category: tool
        symptoms: [a flag is up (旗子)]
        ---

        # A flag that should not be there

        ## Is the flag up

        The flag file means something went wrong; it should not exist.

        ```sh { name=flag }
        test ! -e '\(dir)/flag'
        ```

        ```rbsh
        findings:
          - id: flag-up
            when: exit_code != 0
            severity: warning
            message: the flag is up
        ```

        ## Take the flag down

        ```sh { name=take-down fixes=flag-up risk=changes verify=flag }
        rm '\(dir)/flag'
        ```

        """.write(toFile: dir + "/books/flag-check.md", atomically: true, encoding: .utf8)
        try "# These are our runbooks\n".write(toFile: dir + "/books/README.md", atomically: true, encoding: .utf8)
    }

    /// A fix still marked for review (an imported draft's guess) is not run, even when its risk is allowed;
    /// lint lists the mark; once it is removed, the fix runs.
    @Test func aFixMarkedForReviewIsNotRunUntilTheMarkIsGone() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let book = dir + "/books/flag-check.md"
        let text = try String(contentsOfFile: book, encoding: .utf8)
        let marked = text.replacingOccurrences(of: "verify=flag }", with: #"verify=flag review="risk guessed" }"#)
        try marked.write(toFile: book, atomically: true, encoding: .utf8)
        let lint = try RbshProcess.run(["lint", book])
        #expect(lint.status == 0 && lint.stdout.contains("flag-check.md:27:1: review: risk guessed"), "\(lint.stdout)\(lint.stderr)")
        let run = try RbshProcess.run(["run", book, "--allow", "destructive", "--transcript", dir + "/t.jsonl"])
        #expect(run.status == 1, "the finding stays open: \(run.stdout)\(run.stderr)")
        #expect(
            run.stdout.contains("not run: take-down (policy: marked for review (risk guessed): decide, then remove its review mark)"),
            "\(run.stdout)")
        #expect(FileManager.default.fileExists(atPath: dir + "/flag"), "the fix did not run")
        try text.write(toFile: book, atomically: true, encoding: .utf8)
        let fixed = try RbshProcess.run(["run", book, "--allow", "changes", "--transcript", dir + "/t2.jsonl"])
        #expect(fixed.status == 0 && !FileManager.default.fileExists(atPath: dir + "/flag"), "\(fixed.stdout)")
    }

    @Test func itLintsRunsAndFixesLikeAYAMLRunbook() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lint = try RbshProcess.run(["lint", dir + "/books"])
        #expect(lint.status == 0, "a README beside it is passed over: \(lint.stdout)\(lint.stderr)")
        let found = try RbshProcess.run(["find", "旗子", "--runbooks", dir + "/books"])
        #expect(found.stdout.contains("flag-check"), "\(found.stdout)\(found.stderr)")
        let run = try RbshProcess.run([
            "run", dir + "/books/flag-check.md", "--allow", "changes", "--transcript", dir + "/t.jsonl",
        ])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("WARNING flag-up: the flag is up"), "\(run.stdout)")
        #expect(run.stdout.contains("verify take-down: fixed"), "\(run.stdout)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/flag"))
        let transcript = try String(contentsOfFile: dir + "/t.jsonl", encoding: .utf8)
        #expect(transcript.contains(#"flag-check.md","sha256""#), "the source is the Markdown file")
    }

    @Test func lintSaysWhereInTheMarkdownAndTheShellShowsTheProse() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/books/flag-check.md"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "severity: warning", with: "severity: warn").write(
            toFile: dir + "/broken.md", atomically: true, encoding: .utf8)
        let lint = try RbshProcess.run(["lint", dir + "/broken.md"])
        #expect(lint.status == 1)
        #expect(lint.stdout.contains("broken.md:21:"), "line 21 is the severity in the rbsh block: \(lint.stdout)")
        let shell = try RbshProcess.run(
            ["shell", "--runbooks", dir + "/books", "--transcript", dir + "/s.jsonl"], stdin: "start flag-check\nquit\n")
        #expect(shell.stdout.contains("next: [1/1] flag — Is the flag up"), "\(shell.stdout)")
        #expect(shell.stdout.contains("  The flag file means something went wrong; it should not exist."), "\(shell.stdout)")
    }

    /// Triage's sweep walks the Markdown twin when it is first on the search path, and concludes as with the YAML one.
    @Test(.enabled(if: LabFixture.isUp || LabFixture.isRequired)) func triagesSweepWalksAMarkdownRunbookFoundFirst() async throws {
        let dir = self.dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        try await LabAccess.sharing {
            _ = try LabFixture.require()
            let md = try RbshProcess.run([
                "run", "triage", "--runbooks", repo + "/runbooks/markdown", "--transcript", dir + "/md.jsonl", "--format", "json",
            ])
            let yaml = try RbshProcess.run(["run", "triage", "--transcript", dir + "/yaml.jsonl", "--format", "json"])
            #expect(md.status == yaml.status, "\(md.stdout)\(md.stderr)")
            func findings(_ p: RbshProcess) throws -> Set<String> {
                let report = try #require(try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [String: Any])
                return Set(((report["findings"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
            }
            #expect(try findings(md) == findings(yaml))
            let transcript = try String(contentsOfFile: dir + "/md.jsonl", encoding: .utf8)
            #expect(
                transcript.contains(#""given":"\#(repo)/runbooks/markdown/db-connection-failure.md""#), "the sweep walked the Markdown twin"
            )
        }
    }
}
