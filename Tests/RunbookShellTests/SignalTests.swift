import Clients
import Foundation
import Lab
import RunbookKit
import Testing
import TestSupport

/// A session lives through a dropped terminal or a SIGTERM: the running step
/// and everything it started stop, the transcript is closed with the reason.
@Suite(.enabled(if: TmuxSession.isAvailable && (LabFixture.isUp || LabFixture.isRequired)))
struct SignalTests {
    /// Waits for `condition`, up to `timeout` seconds.
    static func eventually(_ timeout: Double = 15, _ condition: () -> Bool) -> Bool {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    static func processes(matching text: String) -> String {
        ShellRunner().run(argv: ["/usr/bin/pgrep", "-f", text], timeout: 5).output.text
    }

    static func endOf(_ path: String) -> [TranscriptEvent] {
        (try? Transcript.read(path: path).events) ?? []
    }

    static func endsWithHangup(_ path: String) -> Bool {
        if case .sessionEnded(_, let reason) = endOf(path).last { return reason?.contains("SIGHUP") == true }
        return false
    }

    static func shell(_ transcript: String) throws -> TmuxSession { try TmuxSession.rbsh(["shell", "--transcript", transcript]) }

    @Test func aHangUpDuringAShellStepLeavesNoProcessAndClosesTheTranscript() async throws {
        try await LabAccess.sharing {
            let transcript = NSTemporaryDirectory() + "rbsh-hup-\(UUID().uuidString).jsonl"
            defer { try? FileManager.default.removeItem(atPath: transcript) }
            let t = try Self.shell(transcript)
            t.waitFor("rbsh>")
            let marker = "42.\(Int.random(in: 100...999))"
            try t.type("sh sleep \(marker) | cat")
            try t.send("Enter")
            t.waitFor("running adhoc-1")
            #expect(Self.eventually(5) { !Self.processes(matching: "sleep \(marker)").isEmpty })
            try t.close()
            #expect(Self.eventually { Self.endsWithHangup(transcript) }, "\(Self.endOf(transcript).suffix(3))")
            #expect(Self.eventually(5) { Self.processes(matching: "sleep \(marker)").isEmpty }, "left behind")
            let events = Self.endOf(transcript)
            #expect(events.contains(.interrupted(step: "adhoc-1", signal: "SIGHUP")), "\(events.suffix(4))")
            #expect(events.contains { if case .stepEnded("adhoc-1", _, let r, _) = $0 { r.status == .interrupted } else { false } })
        }
    }

    @Test func aHangUpDuringAQueryCancelsItOnTheServer() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let transcript = NSTemporaryDirectory() + "rbsh-hup-\(UUID().uuidString).jsonl"
            defer { try? FileManager.default.removeItem(atPath: transcript) }
            let t = try Self.shell(transcript)
            t.waitFor("rbsh>")
            try t.type("sql select pg_sleep(30) as hangup_test_sleep")
            try t.send("Enter")
            t.waitFor("running adhoc-1")
            usleep(300_000)
            try t.close()
            #expect(Self.eventually { Self.endsWithHangup(transcript) }, "\(Self.endOf(transcript).suffix(3))")
            #expect(try LabFixture.activeQueries(lab, marker: "hangup_test_sleep") == 0, "the query is still running on the server")
        }
    }

    @Test func sigtermStopsARunItsQueryAndEndsTheTranscript() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let dir = NSTemporaryDirectory() + "rbsh-term-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try """
            id: slow
            title: A slow query
            category: tool
            steps:
              - id: sleep
                postgres: select pg_sleep(30) as sigterm_test_sleep
                timeout: 60s
              - id: after
                shell: "echo never"
            """.write(toFile: dir + "/slow.yaml", atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: LabFixture.binary)
            process.arguments = ["run", dir + "/slow.yaml", "--transcript", dir + "/t.jsonl"]
            process.environment = ProcessInfo.processInfo.environment.merging(["RBSH_LAB_DIR": LabState.defaultDirectory]) { _, b in b }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            #expect(
                Self.eventually(10) {
                    (try? Transcript.read(path: dir + "/t.jsonl").events.contains { $0.step == "sleep" }) == true
                })
            usleep(500_000)
            let sent = Date()
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            #expect(Date().timeIntervalSince(sent) < 3, "it took \(Date().timeIntervalSince(sent)) s to stop")
            #expect(process.terminationStatus == 128 + SIGTERM)
            let events = Self.endOf(dir + "/t.jsonl")
            guard case .sessionEnded(_, let reason) = events.last else {
                Issue.record("no session_end: \(events.suffix(3))")
                return
            }
            #expect(reason?.contains("SIGTERM") == true)
            #expect(events.contains(.interrupted(step: "sleep", signal: "SIGTERM")))
            #expect(!events.contains { $0.step == "after" }, "nothing runs after the signal")
            #expect(try LabFixture.activeQueries(lab, marker: "sigterm_test_sleep") == 0, "the query is still running on the server")
        }
    }
}

/// Sessions started at once in one folder each get a transcript of their own.
@Suite struct ConcurrentRunTests {
    @Test func fiftyRunsStartedAtOnceWriteFiftyTranscripts() throws {
        let dir = NSTemporaryDirectory() + "rbsh-burst-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "id: quick\ntitle: Quick\ncategory: tool\nsteps:\n  - id: one\n    shell: \"true\"\n"
            .write(toFile: dir + "/quick.yaml", atomically: true, encoding: .utf8)
        let runs = (1...50).map { _ in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: LabFixture.binary)
            p.arguments = ["run", "./quick.yaml"]
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            return p
        }
        for p in runs { try p.run() }
        for p in runs { p.waitUntilExit() }
        #expect(runs.allSatisfy { (0...2).contains($0.terminationStatus) }, "\(runs.map(\.terminationStatus))")
        let transcripts = try FileManager.default.contentsOfDirectory(atPath: dir + "/transcripts")
        #expect(transcripts.count == 50)
        for name in transcripts {
            let t = try Transcript.read(path: dir + "/transcripts/" + name)
            #expect(t.events.count >= 4, "\(name) holds one whole session")
        }
    }
}

/// A session cut short goes on where it stopped, with what it had found.
@Suite(.enabled(if: TmuxSession.isAvailable && (LabFixture.isUp || LabFixture.isRequired)))
struct ResumeTests {
    static let runbook = """
        id: three
        title: Three steps
        category: tool
        steps:
          - id: first
            shell: "echo 7"
            findings:
              - id: seven
                when: exit_code == 0
                severity: warning
                message: first said seven
          - id: slow
            shell: "sleep 3; echo slept"
          - id: last
            shell: "echo last"
        """

    func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "rbsh-resume-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Self.runbook.write(toFile: dir + "/three.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    static func steps(_ path: String) -> [String] {
        ((try? Transcript.read(path: path).events) ?? []).compactMap { if case .stepEnded(let s, .diagnose, _, _) = $0 { s } else { nil } }
    }

    /// Runs rbsh in `folder` and kills it (SIGKILL) once its transcript,
    /// `folder/t1.jsonl`, has the first step ended: during the second, slow one.
    static func killedDuringItsSecondStep(_ arguments: [String], in folder: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LabFixture.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        #expect(SignalTests.eventually(10) { Self.steps(folder + "/t1.jsonl") == ["first"] })
        usleep(300_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    @Test func aRunKilledWithSigkillResumesAtTheStepThatDidNotFinish() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.killedDuringItsSecondStep(["run", dir + "/three.yaml", "--transcript", dir + "/t1.jsonl"], in: dir)
        let p = try RbshProcess.run([
            "run", "--resume", dir + "/t1.jsonl", "--runbooks", dir, "--transcript", dir + "/t2.jsonl", "--format", "json",
        ])
        #expect(p.status == 1, "the earlier warning still stands: \(p.stderr)")
        #expect(Self.steps(dir + "/t2.jsonl") == ["slow", "last"], "it went on at the step that did not finish")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [String: Any])
        #expect((report["findings"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["seven"])
        let header = try Transcript.read(path: dir + "/t2.jsonl").header
        #expect(header.continues == dir + "/t1.jsonl")
        #expect(header.continuesSHA256?.count == 64)
        let md = try RbshProcess.run(["transcript", "export", dir + "/t2.jsonl", "--format", "markdown"])
        #expect(md.stdout.contains("| Transcripts |"))
        #expect(md.stdout.contains("<code>first</code>") && md.stdout.contains("<code>last</code>"), "one postmortem of both")
    }

    /// Runs rbsh in `folder`; its status and what it printed.
    static func rbsh(_ arguments: [String], in folder: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LabFixture.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let out = folder + "/.out-\(UUID().uuidString)"
        let err = out + ".err"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        try process.run()
        process.waitUntilExit()
        let text = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return (process.terminationStatus, text(out), text(err))
    }

    @Test func aRunbookRunFromAPathResumesFromAnotherFolderAndSaysWhenItChanged() throws {
        let dir = try folder()
        let elsewhere = try folder()
        defer { for d in [dir, elsewhere] { try? FileManager.default.removeItem(atPath: d) } }
        try Self.runbook.write(toFile: dir + "/my-runbook.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: dir + "/three.yaml")
        try FileManager.default.removeItem(atPath: elsewhere + "/three.yaml")
        try Self.killedDuringItsSecondStep(["run", "./my-runbook.yaml", "--transcript", "t1.jsonl"], in: dir)
        let started = try Transcript.read(path: dir + "/t1.jsonl").events.compactMap {
            if case .runbookStarted(_, _, let source) = $0 { source } else { nil }
        }
        #expect(started.first?.given == "./my-runbook.yaml")
        #expect(started.first?.path == dir + "/my-runbook.yaml")
        #expect(started.first?.sha256 == FileDigest.sha256(path: dir + "/my-runbook.yaml"))

        // From another folder, with no --runbooks: the transcript says where the runbook is.
        let resumed = try Self.rbsh(
            ["run", "--resume", dir + "/t1.jsonl", "--transcript", "t2.jsonl", "--format", "json"], in: elsewhere)
        #expect(resumed.status == 1, "the earlier warning still stands: \(resumed.stderr)")
        #expect(Self.steps(elsewhere + "/t2.jsonl") == ["slow", "last"], "it went on at the step that did not finish")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as? [String: Any])
        #expect((report["findings"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["seven"])

        // Changed since: said in one line, and the walk goes on with the file as it is.
        try (Self.runbook + "\n# edited\n").write(toFile: dir + "/my-runbook.yaml", atomically: true, encoding: .utf8)
        let again = try Self.rbsh(["run", "--resume", dir + "/t1.jsonl", "--transcript", "t3.jsonl"], in: elsewhere)
        #expect(again.status == 1, "\(again.stderr)")
        #expect(again.stdout.contains("\(dir)/my-runbook.yaml changed since three was recorded from it"))
        let replay = try Self.rbsh(["replay", dir + "/t1.jsonl", "--execute", "--transcript-out", "t4.jsonl"], in: elsewhere)
        #expect(replay.stdout.contains("replayed three from"), "\(replay.stdout)\(replay.stderr)")
    }

    @Test func aShellHungUpResumesWithItsFindingsAndGoesOn() async throws {
        try await LabAccess.sharing {
            let dir = try folder()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let t = try TmuxSession.rbsh(["shell", "--runbooks", dir, "--transcript", dir + "/t1.jsonl"], state: dir)
            t.waitFor("rbsh>")
            try t.type("start three")
            try t.send("Enter")
            t.waitFor("next: [1/3] first")
            try t.send("Enter")
            t.waitFor("next: [2/3] slow")
            try t.send("Enter")
            t.waitFor("running slow")
            try t.close()
            #expect(SignalTests.eventually { SignalTests.endsWithHangup(dir + "/t1.jsonl") })
            let p = try RbshProcess.run(
                ["resume", dir + "/t1.jsonl", "--runbooks", dir, "--transcript", dir + "/t2.jsonl"], stdin: "findings\n\n\nquit\n")
            #expect(p.status == 0, "\(p.stderr)")
            #expect(p.stdout.contains("resuming three from \(dir)/t1.jsonl"))
            #expect(p.stdout.contains("open findings: seven (warning)"))
            #expect(p.stdout.contains("next: [2/3] slow"))
            #expect(p.stdout.contains("WARNING seven: first said seven"), "findings shows the restored finding")
            #expect(Self.steps(dir + "/t2.jsonl") == ["slow", "last"])
        }
    }
}
