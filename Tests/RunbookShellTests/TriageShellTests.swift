import Foundation
import Lab
import Testing
import TestSupport

/// Triage at the shell: Enter (or "unknown") sweeps every branch with a live
/// line per runbook, shows the diagnosis, offers the fix, then offers to
/// continue with the runbook it names.
@Suite(.enabled(if: TmuxSession.isAvailable && (LabFixture.isUp || LabFixture.isRequired)))
struct TriageShellTests {
    @Test func enterSweepsLiveThenOffersTheRunbookToStartWith() async throws {
        try await LabAccess.alone {
            _ = try LabFixture.require()
            let inject = try RbshProcess.run(["lab", "inject", "ws-broken"])
            #expect(inject.status == 0, "\(inject.stderr)")
            defer { _ = try? RbshProcess.run(["lab", "clear", "ws-broken"]) }
            let transcript = NSTemporaryDirectory() + "rbsh-triage-\(UUID().uuidString).jsonl"
            defer { try? FileManager.default.removeItem(atPath: transcript) }
            let t = try TmuxSession.rbsh(["shell", "--transcript", transcript])
            t.waitFor("rbsh>")
            try t.type("start triage")
            try t.send("Enter")
            t.waitFor("(Enter: unknown)")
            try t.send("Enter")
            // A line per runbook, each ending with its verdict (the host's CPU and memory may
            // warn on a busy machine: only the lab's runbooks are held to a check mark).
            t.waitFor("Diagnosis — start with websocket-failure", timeout: 15)
            for branch in ["management-platform-down", "db-connection-failure", "data-inconsistency"] {
                #expect(t.screen().contains("✓ \(branch)"), "\(t.screen())")
            }
            for branch in ["slow-response", "high-memory"] { #expect(t.screen().contains(" \(branch) ")) }
            #expect(t.screen().contains("✗ websocket-failure"))
            t.waitFor("CRITICAL websocket-failure/ws-no-upgrade")
            // The fix of the runbook to start with is offered, with confirmation.
            t.waitFor("Run it? [y/N]")
            let screen = t.screen()
            #expect(!screen.contains("running management-platform-down/"), "a sweep's steps are not announced one by one")
            while t.screen().contains("Run it? [y/N]") && !t.screen().contains("Continue with") {
                try t.send("n", "Enter")
                usleep(200_000)
            }
            t.waitFor("Continue with websocket-failure, step by step? [Y/n]")
            try t.send("Enter")
            t.waitFor("websocket-failure — ")
            t.waitFor("next: [1/")
            try t.send("C-d")
            t.waitFor("transcript:")
            let text = try String(contentsOfFile: transcript, encoding: .utf8)
            #expect(text.contains(#""type":"diagnosis""#))
            #expect(text.contains(#""start_with":"websocket-failure""#))
            #expect(text.contains(#""step":"websocket-failure/handshake""#))
        }
    }

    @Test func aScriptIsToldWhereToStartNotAsked() async throws {
        try await LabAccess.sharing {
            _ = try LabFixture.require()
            let script = """
                start triage
                unknown
                findings
                quit
                """
            let p = try RbshProcess.run(["shell", "--transcript", "/dev/null"], stdin: script)
            #expect(p.status == 0, "\(p.stderr)")
            #expect(p.stdout.contains("✓ data-inconsistency"), "\(p.stdout)")
            #expect(p.stdout.contains("Diagnosis"))
            // Whatever it names (a busy host may warn of its CPU), a script is not asked to go on.
            #expect(!p.stdout.contains("Continue with"))
        }
    }
}
