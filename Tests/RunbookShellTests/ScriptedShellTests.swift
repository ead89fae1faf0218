import Foundation
import Lab
import Testing
import TestSupport

/// The shell without a terminal: commands from a script, answers from it too.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired))
struct ScriptedShellTests {
    @Test func aScriptWalksTheRunbookAndConfirmsTheFix() async throws {
        try await LabAccess.alone {
            _ = try LabFixture.require()
            let inject = try RbshProcess.run(["lab", "inject", "idle-connections"])
            #expect(inject.status == 0)
            defer { _ = try? RbshProcess.run(["lab", "clear", "idle-connections"]) }
            let transcript = NSTemporaryDirectory() + "rbsh-shell-\(UUID().uuidString).jsonl"
            defer { try? FileManager.default.removeItem(atPath: transcript) }
            let script = """
                # walk the whole runbook; at its end the shell offers the fixes
                start db-connection-failure
                next
                next
                next
                next
                next
                next
                next
                y
                findings
                note fixed by the script
                quit
                """
            let p = try RbshProcess.run(["shell", "--transcript", transcript, "--answer", "idle_minutes=0"], stdin: script)
            #expect(p.status == 0, "\(p.stderr)")
            #expect(p.stdout.contains("WARNING many-idle-connections"))
            #expect(p.stdout.contains("Run it? [y/N] y"))
            #expect(p.stdout.contains("verify terminate-idle: fixed"), "\(p.stdout)")
            #expect(!p.stdout.contains("remediation pool-settings"), "nothing it fixes is still open")
            #expect(p.stdout.contains("[resolved]: "), "findings lists the fixed ones as resolved")
            let text = try String(contentsOfFile: transcript, encoding: .utf8)
            #expect(text.contains(#""type":"remediation_confirmed""#))
            #expect(text.contains(#""by":"operator""#))
            #expect(text.contains(#""type":"remediation_verified""#))
            #expect(text.contains("fixed by the script"))
        }
    }

    @Test func aBadCommandDoesNotEndTheSessionUnlessAskedTo() throws {
        let keepGoing = try RbshProcess.run(["shell", "--transcript", "/dev/null"], stdin: "bogus\nhelp\n")
        #expect(keepGoing.status == 0)
        #expect(keepGoing.stdout.contains("unknown command `bogus`"))
        #expect(keepGoing.stdout.contains("start RUNBOOK"))
        let stop = try RbshProcess.run(["shell", "--on-error", "stop", "--transcript", "/dev/null"], stdin: "bogus\nhelp\n")
        #expect(stop.status == 3)
        #expect(!stop.stdout.contains("start RUNBOOK"))
    }
}
