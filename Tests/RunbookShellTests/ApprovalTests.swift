import Foundation
import RunbookKit
import Runs
import Testing
import TestSupport

/// Four eyes on a destructive fix, with real SSH keys (`ssh-keygen -Y sign`)
/// and a real allowed_signers file: the fix waits for another operator's
/// `rbsh approve`, runs once it came, and every approval that is not exactly
/// that is refused in one line naming the rule it failed.
@Suite struct ApprovalTests {
    let dir: String
    var flag: String { dir + "/flag" }
    var folder: String { dir + "/approvals" }

    init() throws {
        dir = NSTemporaryDirectory() + "rbsh-approvals-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/books", withIntermediateDirectories: true)
        var signers = ""
        for name in ["alice", "bob", "dave", "carol"] {
            let made = try RbshProcess.runProgram(
                ["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", dir + "/\(name)"])
            #expect(made.status == 0, "\(made.stderr)")
            let pub = try String(contentsOfFile: dir + "/\(name).pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            // Carol's key is nobody's in the team's file.
            if name != "carol" { signers += "\(name)@team namespaces=\"rbsh-transcript,rbsh-approval\" \(pub)\n" }
        }
        try signers.write(toFile: dir + "/allowed_signers", atomically: true, encoding: .utf8)
        try "present\n".write(toFile: dir + "/flag", atomically: true, encoding: .utf8)
        try """
        id: wipe-flag
        title: A flag that only a destructive fix removes
        category: tool
        steps:
          - id: flag
            title: Is the flag there
            shell: test ! -e '\(dir)/flag'
            findings:
              - id: flag-present
                when: exit_code != 0
                severity: critical
                message: the flag is there
        remediations:
          - id: wipe-it
            title: Remove the flag
            fixes: [flag-present]
            risk: destructive
            confirm_word: flag
            shell: rm '\(dir)/flag'
            verify: flag
        """.write(toFile: dir + "/books/wipe-flag.yaml", atomically: true, encoding: .utf8)
    }

    /// A config: `name` signs with its key, approvals go through the folder, `require` as given.
    func config(_ name: String, require: String = "{destructive: 1}") throws -> String {
        let path = dir + "/\(name).yaml"
        try """
        signing: {key: \(dir)/\(name), principal: \(name)@team, allowed_signers: \(dir)/allowed_signers}
        approvals: {folder: \(folder), require: \(require), ttl: 15m}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The code of the next request that appears in the folder (not one of `known`).
    func nextRequest(besides known: Set<String> = []) throws -> String {
        for _ in 0..<200 {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            if let code = names.filter({ $0.hasSuffix(".request.json") }).map({ String($0.prefix(6)) }).first(where: { !known.contains($0) }
            ) {
                return code
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TestFailure("no approval request appeared in \(folder)")
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// rbsh running on a thread of its own (not the test pool's: the test waits beside it).
    final class Background: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var result: Result<RbshProcess, any Error> = .failure(TestFailure("not finished"))

        init(_ args: [String], stdin: String? = nil) {
            Thread { [self] in
                result = Result { try RbshProcess.run(args, stdin: stdin, timeout: 60) }
                done.signal()
            }.start()
        }

        func value() throws -> RbshProcess {
            done.wait()
            return try result.get()
        }
    }

    @Test func aDestructiveFixRunsOnceAnotherOperatorApprovedExactlyIt() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let transcript = dir + "/t.jsonl"
        let waiting = Background([
            "run", dir + "/books/wipe-flag.yaml", "--allow", "destructive", "--approval-wait", "30s", "--transcript", transcript,
            "--config", try config("alice"),
        ])
        let code = try nextRequest()
        #expect(FileManager.default.fileExists(atPath: flag), "nothing ran before the approval")
        // Alice cannot approve her own request.
        let own = try RbshProcess.run(["approve", code, "--config", try config("alice"), "--yes"])
        #expect(own.status == 1)
        #expect(own.stderr.contains("you (alice@team) made this request"), "\(own.stderr)")
        // A file that is no approval at all: refused, recorded, and the wait goes on.
        try "garbage".write(toFile: folder + "/\(code).mallory.approval", atomically: true, encoding: .utf8)
        let approved = try RbshProcess.run(["approve", code.lowercased(), "--config", try config("bob"), "--yes"])
        #expect(approved.status == 0, "\(approved.stderr)")
        #expect(approved.stdout.contains("rm '\(dir)/flag'"), "the approver sees exactly what will run: \(approved.stdout)")
        #expect(approved.stdout.contains("target     \(TranscriptHeader.hostName) as \(TranscriptHeader.userName)"), "\(approved.stdout)")
        let r = try waiting.value()
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("approved wipe-it by bob@team"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: flag))
        let text = try String(contentsOfFile: transcript, encoding: .utf8)
        #expect(text.contains(#""type":"approval_requested""#) && text.contains(#""type":"approval_granted""#))
        #expect(text.contains(#""reason":"\#(code).mallory.approval: not an rbsh approval (unreadable or cut short)""#), "\(text)")
        let export = try RbshProcess.run(["transcript", "export", transcript])
        #expect(export.stdout.contains("**approved by** bob@team at "), "the postmortem says who approved: \(export.stdout)")
        // The approval was used: it does not approve anything again.
        let used = try FileManager.default.contentsOfDirectory(atPath: folder + "/used")
        #expect(used.count == 1)
    }

    @Test func withoutApprovalTheRunWaitsItsBoundThenExits3AndTheRequestIsClosed() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try RbshProcess.run([
            "run", dir + "/books/wipe-flag.yaml", "--allow", "destructive", "--approval-wait", "1s", "--transcript", dir + "/t.jsonl",
            "--config", try config("alice"),
        ])
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("rbsh: not approved: wipe-it: no approval within 1 s: it waited for 1 to `rbsh approve "), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: flag), "--allow destructive did not run it unapproved")
        let code = try nextRequest()
        let late = try RbshProcess.run(["approve", code, "--config", try config("bob"), "--yes"])
        #expect(late.status == 3)
        #expect(late.stderr.contains("request \(code) is closed: no approval within 1 s"), "\(late.stderr)")
        let none = try RbshProcess.run(["approve", "ZZZZZZ", "--config", try config("bob"), "--yes"])
        #expect(none.stderr.contains("no request ZZZZZZ in the approvals folder \(folder)"), "\(none.stderr)")
        // Without a policy nothing waits: today's behaviour.
        let plain = try RbshProcess.run(["run", dir + "/books/wipe-flag.yaml", "--allow", "destructive", "--transcript", dir + "/p.jsonl"])
        #expect(plain.status == 0, "\(plain.stdout)\(plain.stderr)")
        #expect(!FileManager.default.fileExists(atPath: flag))
    }

    @Test func twoApprovalsComeFromTwoPeopleAndTheShellPicksThemUpWhileItWaits() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let alice = try config("alice", require: "{wipe-flag/wipe-it: 2}")
        let transcript = dir + "/shell.jsonl"
        let shell = Background(
            ["shell", "--runbooks", dir + "/books", "--transcript", transcript, "--config", alice],
            stdin: "start wipe-flag\nnext\nflag\nquit\n")
        let code = try nextRequest()
        #expect(try RbshProcess.run(["approve", code, "--config", try config("bob"), "--yes"]).status == 0)
        Thread.sleep(forTimeInterval: 0.6)
        #expect(FileManager.default.fileExists(atPath: flag), "one approval of two runs nothing")
        // Bob again is not a second person.
        #expect(try RbshProcess.run(["approve", code, "--config", try config("bob"), "--yes"]).status == 0)
        Thread.sleep(forTimeInterval: 0.6)
        #expect(FileManager.default.fileExists(atPath: flag))
        #expect(try RbshProcess.run(["approve", code, "--config", try config("dave"), "--yes"]).status == 0)
        let r = try shell.value()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("approval refused from bob@team: "), "\(r.stdout)")
        #expect(r.stdout.contains("bob@team approved it already: each approval is another person's"), "\(r.stdout)")
        #expect(r.stdout.contains("approved wipe-it by dave@team"), "\(r.stdout)")
        #expect(r.stdout.contains("verify wipe-it: fixed"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: flag))
    }

    @Test(.enabled(if: TmuxSession.isAvailable)) func ctrlCStopsTheWaitNotTheShellAndAHangUpWhileWaitingIsRecorded() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let alice = try config("alice")
        func waiting(_ transcript: String) throws -> TmuxSession {
            let t = try TmuxSession.rbsh(["shell", "--runbooks", dir + "/books", "--transcript", transcript, "--config", alice])
            t.waitFor("rbsh>")
            try t.type("start wipe-flag")
            try t.send("Enter")
            t.waitFor("next: [1/1] flag")
            try t.send("Enter")
            t.waitFor("Type flag to run it")
            try t.type("flag")
            try t.send("Enter")
            t.waitFor("waiting for it; Ctrl-C stops waiting")
            return t
        }
        let t = try waiting(dir + "/c.jsonl")
        try t.send("C-c")
        t.waitFor("refused wipe-it, before it acted: not approved: stopped waiting for its approval", timeout: 5)
        t.waitFor("wipe-flag finished")
        try t.type("findings")
        try t.send("Enter")
        t.waitFor("CRITICAL flag-present")
        #expect(t.isRunning, "Ctrl-C stopped the wait, not the shell")
        #expect(FileManager.default.fileExists(atPath: flag))

        let hungUp = try waiting(dir + "/h.jsonl")
        try hungUp.close()
        var text = ""
        for _ in 0..<100 {
            text = (try? String(contentsOfFile: dir + "/h.jsonl", encoding: .utf8)) ?? ""
            if text.contains(#""type":"session_end""#) { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(text.contains(#""type":"approval_requested""#))
        #expect(text.contains(#""signal":"SIGHUP""#), "the hang-up is recorded: \(text)")
        #expect(text.contains(#""type":"session_end""#))
        #expect(!text.contains(#""type":"remediation_applied""#))
        #expect(FileManager.default.fileExists(atPath: flag))
    }
}
