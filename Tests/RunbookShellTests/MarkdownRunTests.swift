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
}
