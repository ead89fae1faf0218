import Foundation
import OutputCapture
import Testing
@testable import RunbookKit

@Suite struct TranscriptTests {
    static func write(_ records: [TranscriptEvent], secrets: [String] = []) throws -> String {
        let path = NSTemporaryDirectory() + "rbsh-transcript-\(UUID().uuidString).jsonl"
        let w = try TranscriptWriter(
            path: path, redactor: Redactor(secrets: secrets),
            header: TranscriptHeader(command: "run", targets: ["redis": "redis://h"], rbshVersion: "t", user: "oncall", host: "h"))
        try w.write(.sessionStarted(SessionStart(mode: "unattended")))
        for r in records { try w.write(r) }
        try w.write(.note("restarted by hand"))
        try w.write(.sessionEnded(status: .warning, reason: nil))
        return path
    }

    static let finding = Finding(id: "many-idle", severity: .warning, message: "80 idle", step: "connections")
    static let story: [TranscriptEvent] = [
        .runbookStarted(id: "db", title: "DB"),
        .input(name: "idle_minutes", value: "0", by: .flag),
        .stepStarted(step: "connections", title: "Connections", kind: "postgres", purpose: .diagnose, detail: "SELECT 1"),
        .stepEnded(
            step: "connections", purpose: .diagnose, result: StepResult(status: .ok, output: CapturedOutput(text: "80 | idle")),
            findings: [finding]),
        .remediationOffered(id: "terminate", risk: .changes, fixes: ["many-idle"], detail: "SELECT pg_terminate_backend(1)"),
        .remediationDecision(id: "terminate", confirmed: true, by: .operatorInput, reason: nil),
        .remediationApplied(id: "terminate", status: .ok),
        .stepEnded(step: "connections", purpose: .verify("terminate"), result: StepResult(status: .ok), findings: []),
        .remediationVerified(id: "terminate", verified: true, stillOpen: []),
        .runbookEnded(id: "db", status: .ok),
    ]

    @Test func readsBackWhatWasWritten() throws {
        let path = try Self.write(Self.story)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = try Transcript.read(path: path)
        #expect(t.header.user == "oncall")
        #expect(
            t.events.map(\.type) == [
                "session_start", "runbook_start", "input", "step_start", "step_end", "remediation_offered",
                "remediation_confirmed", "remediation_applied", "step_end", "remediation_verified", "runbook_end",
                "note", "session_end",
            ])
        #expect(t.entries.allSatisfy { $0.time != nil && $0.monoMilliseconds != nil })
        // RFC 3339 in UTC with milliseconds, the header's start too.
        let stamp = #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/#
        #expect(t.entries.allSatisfy { ($0.time ?? "").wholeMatch(of: stamp) != nil })
        #expect((t.header.started ?? "").wholeMatch(of: stamp) != nil)
        let s = TranscriptSummary(t)
        #expect(s.findings.map(\.state) == [.resolved])
        #expect(s.remediations.first?.decidedBy == .operatorInput)
        #expect(s.remediations.first?.verified == true)
        #expect(s.notes.map(\.text) == ["restarted by hand"])
    }

    @Test func aTruncatedLastLineIsDroppedAndSaid() throws {
        let path = try Self.write(Self.story)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        // The seal and the end of the session's last line, as kill -9 leaves it.
        let lines = data.split(separator: 0x0A)
        data.removeLast((lines.last?.count ?? 0) + 1 + 17)
        let t = try Transcript.parse(data, path: path)
        #expect(t.truncatedBytes > 0)
        #expect(t.events.last?.type == "note")
        #expect(TranscriptRendering.timeline(t).contains("was cut short"))
        #expect(throws: TranscriptError.self) { try Transcript.parse(Data("{\"format\":\"rb".utf8), path: "x") }
        #expect(throws: TranscriptError.self) { try Transcript.parse(Data("{\"format\":\"other\",\"version\":1}\n".utf8), path: "x") }
    }

    @Test func outputOverTheCapKeepsHeadAndTailAndCountsTheRest() throws {
        let path = NSTemporaryDirectory() + "rbsh-cap-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try TranscriptWriter(path: path, redactor: Redactor(), outputCap: 100, header: TranscriptHeader())
        let output = "HEAD" + String(repeating: "x", count: 1000) + "TAIL"
        try w.write(
            .stepEnded(
                step: "s", purpose: .diagnose,
                result: StepResult(status: .ok, output: CapturedOutput(text: output, elidedBytes: 7)), findings: []))
        guard case .stepEnded(_, _, let result, _) = try #require(try Transcript.read(path: path).events.first) else {
            Issue.record("not a step_end")
            return
        }
        #expect(result.output.text.hasPrefix("HEAD"))
        #expect(result.output.text.hasSuffix("TAIL"))
        #expect(result.output.elidedBytes == 7 + 1008 - 100)
    }

    @Test func aTranscriptIsNeverAppendedToAnother() throws {
        let path = try Self.write([])
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: TranscriptError.self) { _ = try TranscriptWriter(path: path, redactor: Redactor(), header: TranscriptHeader()) }
    }

    @Test(arguments: [
        (1_795_734_902.7, "transcripts/20261126-231502-db.jsonl"),  // a fraction of a second is not rounded up
        (915_246_245, "transcripts/19990102-030405-db.jsonl"),  // one-digit fields padded
    ])
    func aDefaultNameIsTheUTCSecondItBegan(seconds: Double, name: String) {
        #expect(TranscriptWriter.defaultPath(runbook: "db", date: Date(timeIntervalSince1970: seconds)) == name)
    }

    @Test func theMarkdownIsAPostmortemDraft() throws {
        let path = try Self.write(Self.story)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let md = TranscriptRendering.markdown(try Transcript.read(path: path))
        for section in ["# Postmortem draft: db", "## Summary", "## Findings", "## Remediations", "## Timeline", "## Notes", "## Outputs"] {
            #expect(md.contains(section), "\(section) missing")
        }
        #expect(md.contains("| warning | `many-idle` | resolved | `connections` | 80 idle |"))
        #expect(md.contains("**`terminate`** (changes): confirmed by operator; applied: ok; **verified fixed**"))
        #expect(md.contains("<details><summary><code>connections</code>: ok</summary>"))
        #expect(md.contains("- restarted by hand"))
    }

    @Test func theJSONExportCarriesTheEventsAsWritten() throws {
        let path = try Self.write(Self.story)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let json = TranscriptRendering.json(try Transcript.parse(data, path: path), raw: data)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((object["events"] as? [Any])?.count == 13)
        #expect((object["summary"] as? [String: Any])?["outcome"] as? String == "ok")
    }

    @Test func secretsNeverReachTheFile() throws {
        let records: [TranscriptEvent] = [
            .stepStarted(step: "s", title: "t", kind: "shell", purpose: .adHoc, detail: "PGPASSWORD=hunter2-pw psql -c 'select 1'"),
            .stepEnded(
                step: "s", purpose: .adHoc, result: StepResult(status: .ok, output: CapturedOutput(text: "token: tok-123456\nplain text")),
                findings: []),
        ]
        let path = try Self.write(records, secrets: ["config-secret-value"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try TranscriptWriter(path: path + ".2", redactor: Redactor(secrets: ["config-secret-value"]), header: TranscriptHeader())
        try w.write(.note("the api key is config-secret-value"))
        defer { try? FileManager.default.removeItem(atPath: path + ".2") }
        let text = try String(contentsOfFile: path, encoding: .utf8) + String(contentsOfFile: path + ".2", encoding: .utf8)
        for secret in ["hunter2-pw", "tok-123456", "config-secret-value"] { #expect(!text.contains(secret), "\(secret) reached disk") }
        #expect(text.contains("plain text"))
    }

    @Test func aReplayThatGoesElsewhereIsReportedStepByStep() throws {
        let path = try Self.write(Self.story)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorded = RecordedRun(try Transcript.read(path: path))
        #expect(recorded.answers["idle_minutes"] == "0")
        #expect(recorded.decisions["terminate"]?.confirmed == true)
        #expect(recorded.decisions["terminate"]?.by == .operatorInput)
        let same = recorded.divergences(from: Self.story)
        #expect(same.isEmpty)
        let other: [TranscriptEvent] = [
            .stepEnded(step: "connections", purpose: .diagnose, result: StepResult(status: .failed), findings: []),
            .stepEnded(step: "log", purpose: .diagnose, result: StepResult(status: .ok), findings: []),
        ]
        let d = recorded.divergences(from: other)
        #expect(d.map(\.kind) == [.result, .findings, .path, .remediation])
        #expect(d[1].description == "findings at connections: recorded many-idle, now no findings")
    }

    @Test func volatileValuesAreNormalisedBeforeComparing() {
        #expect(
            RunbookTestVerdict.normalize("80 idle for 00:01:02.5 since 2026-11-27T00:01:02Z on port 15432")
                == "<n> idle for <duration> since <time> on port <n>")
    }
}

@Suite struct RegressionCaseTests {
    @Test func ignoredHostFindingsLeaveTheComparisonAndTheStatus() throws {
        let path = NSTemporaryDirectory() + "rbsh-case-\(UUID().uuidString).yaml"
        try """
        runbook: host
        cases:
          - name: healthy
            ignore: [high-cpu]
            expect:
              status: ok
              findings: []
        """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try RunbookTestFile.load(path: path)
        let c = try #require(file.cases.first)
        #expect(c.ignored == ["high-cpu"])
        let rb = try #require(
            RunbookLoader.load(
                yaml: """
                    id: host
                    title: Host
                    category: tool
                    steps:
                      - id: cpu
                        system: {sample: 1ms}
                        findings:
                          - id: high-cpu
                            when: cpu_pct > 80
                            severity: warning
                            message: busy
                    """, file: "h.yaml"
            ).runbook)
        var s = RunbookSession(runbook: rb, policy: .person)
        _ = s.start()
        s.begin()
        _ = s.stepFinished(StepResult(status: .ok, values: ["cpu_pct": .number(99)]))
        let records = s.drainRecords()
        #expect(s.outcome == .warning)
        #expect(RunbookTestVerdict.differences(c, session: s, records: records).isEmpty)
        // A finding raised only while verifying a fix is not one the walk reported.
        let verifying =
            records + [
                .stepEnded(
                    step: "cpu", purpose: .verify("fix"), result: StepResult(status: .ok),
                    findings: [Finding(id: "side-effect", severity: .warning, message: "m", step: "cpu")])
            ]
        #expect(RunbookTestVerdict.differences(c, session: s, records: verifying).isEmpty)
        var strict = c
        strict.ignored = []
        #expect(
            RunbookTestVerdict.differences(strict, session: s, records: records) == [
                "status: expected ok, got warning", "findings: unexpected high-cpu",
            ])
    }
}

@Suite struct TranscriptNameTests {
    @Test func defaultNamesNeverCollideAndAnExplicitPathIsNeverReused() throws {
        let dir = NSTemporaryDirectory() + "rbsh-names-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Five sessions started in the same second (the name's precision).
        let now = Date()
        let writers = try (1...5).map { _ in
            try TranscriptWriter.unique(runbook: "db", directory: dir, date: now, redactor: Redactor(), header: TranscriptHeader())
        }
        #expect(Set(writers.map(\.path)).count == 5)
        #expect(writers.dropFirst().allSatisfy { $0.path.hasPrefix(String(writers[0].path.dropLast(".jsonl".count)) + "-") })
        #expect(throws: TranscriptError.self) {
            try TranscriptWriter(path: writers[0].path, redactor: Redactor(), header: TranscriptHeader())
        }
    }
}

/// An event is on disk before anything of it is shown; one that is not shown
/// waits for the next sync, so a step costs one sync, not two.
@Suite struct TranscriptSyncTests {
    final class ShowsEnds: SessionPresenter, @unchecked Sendable {
        let writer: TranscriptWriter
        var shownUnsynced = 0
        var shown = 0
        init(_ writer: TranscriptWriter) { self.writer = writer }
        func shows(_ event: TranscriptEvent) -> Bool { if case .stepEnded = event { true } else { false } }
        func present(_ event: TranscriptEvent) {
            guard shows(event) else { return }
            shown += 1
            if !writer.isSynced { shownUnsynced += 1 }
        }
        func output(_ text: String, stream: Int32) {}
        func notice(_ text: String) {}
    }

    @Test func whatIsShownIsSyncedAndWhatIsNotWaits() throws {
        let path = NSTemporaryDirectory() + "rbsh-sync-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try TranscriptWriter(path: path, redactor: Redactor(), header: TranscriptHeader())
        let presenter = ShowsEnds(writer)
        let recorder = SessionRecorder(transcript: writer, presenter: presenter)
        let before = writer.syncCount
        for i in 1...10 {
            recorder.record(.stepStarted(step: "s\(i)", title: "t", kind: "shell", purpose: .diagnose, detail: "true"))
            recorder.record(.stepEnded(step: "s\(i)", purpose: .diagnose, result: StepResult(status: .ok), findings: []))
        }
        #expect(presenter.shown == 10)
        #expect(presenter.shownUnsynced == 0, "an event was shown before it was on disk")
        #expect(writer.syncCount - before == 10, "one sync a step, not two")
        #expect(try Transcript.read(path: path).events.count == 20, "nothing is lost by waiting")
    }
}
