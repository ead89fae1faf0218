import Foundation
import OutputCapture
import Testing
@testable import RunbookKit

/// The one event type: what the writer encodes, the reader decodes to the same value.
@Suite struct TranscriptEventTests {
    static let finding = Finding(id: "f", severity: .critical, message: "line one\nline \"two\" é 数据库", step: "s", state: .open)

    /// Every case, with every purpose and the optional fields both set and not.
    static let everyCase: [TranscriptEvent] = [
        .sessionStarted(SessionStart(mode: "unattended", allow: "changes", dryRun: true)),
        .sessionStarted(SessionStart(mode: "script", script: "/tmp/s.rbsh")),
        .sessionStarted(SessionStart(mode: "replay", replaying: "transcripts/a.jsonl")),
        .runbookStarted(id: "db", title: "DB / 数据库连接失败"),
        .input(name: "idle_minutes", value: "0", by: .flag),
        .input(name: "window", value: "60", by: .defaultValue),
        .stepStarted(step: "inc/connections", title: "Connections", kind: "postgres", purpose: .diagnose, detail: "SELECT 1\nFROM x"),
        .stepStarted(step: "fix", title: "Fix", kind: "shell", purpose: .remediate("terminate"), detail: "echo"),
        .stepEnded(
            step: "s", purpose: .verify("terminate"),
            result: StepResult(
                status: .failed, exitCode: 3, durationMilliseconds: 12, output: CapturedOutput(text: "out\u{1}\t", elidedBytes: 9),
                error: "exit 3", values: ["n": .number(1.5), "b": .bool(true), "s": .string("x"), "z": .null]),
            findings: [finding, Finding(id: "g", severity: .info, message: "m", step: "s", state: .unknown)]),
        .stepEnded(step: "adhoc-1", purpose: .adHoc, result: StepResult(status: .interrupted), findings: []),
        .question(step: "kind", text: "Which?", choices: ["a", "b"]),
        .question(step: "free", text: "Anything?", choices: []),
        .answer(step: "kind", value: "a", by: .operatorInput),
        .remediationOffered(id: "terminate", risk: .destructive, fixes: ["f", "g"], detail: "DELETE FROM t"),
        .remediationDecision(id: "terminate", confirmed: true, by: .replay, reason: nil),
        .remediationDecision(id: "other", confirmed: false, by: .policy, reason: "needs --allow changes"),
        .remediationApplied(id: "terminate", status: .ok),
        .remediationVerified(id: "terminate", verified: false, stillOpen: ["f"]),
        .runbookEnded(id: "db", status: .critical),
        .note("paged at 03:12"),
        .variableSet(name: "idle_minutes", value: "5"),
        .targetChanged(name: "redis", url: "redis://127.0.0.1:6379"),
        .interrupted(step: "adhoc-1", signal: "SIGINT"),
        .interrupted(step: nil, signal: nil),
        .sessionEnded(status: .warning, reason: nil),
        .sessionEnded(status: .unknown, reason: "stopped on error"),
    ]

    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
    }

    @Test func everyCaseReadsBackAsWritten() throws {
        let path = NSTemporaryDirectory() + "rbsh-events-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // A session ends once: its end is sealed, and nothing is written after the seal.
        let (ends, events) = (Self.everyCase.filter { $0.type == "session_end" }, Self.everyCase.filter { $0.type != "session_end" })
        for end in ends {
            try? FileManager.default.removeItem(atPath: path)
            let w = try TranscriptWriter(path: path, redactor: Redactor(), header: TranscriptHeader(command: "run", runbook: "db"))
            for e in events + [end] { try w.write(e) }
            #expect(throws: TranscriptError.self) { try w.write(.note("after the end")) }
            let t = try Transcript.read(path: path)
            #expect(t.unreadableLines.isEmpty)
            #expect(t.header.runbook == "db")
            #expect(t.sealed)
            #expect(t.events == events + [end])
            let types = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst().map { line in
                (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["type"] as? String
            }
            #expect(types == (events + [end]).map(\.type) + ["seal"])
        }
    }

    @Test func unknownTypesAndFieldsFromALaterVersionAreKept() throws {
        let text = """
            {"format":"rbsh-transcript","version":1,"started":"2026-11-27T00:00:00Z","shiny":"new"}
            {"type":"hologram","time":"t","mono_ms":1,"colour":"blue"}
            {"type":"note","text":"still read","mood":"calm","mono_ms":2}
            {"type":"session_end","status":"stopped on error","mono_ms":3}

            """
        let t = try Transcript.parse(Data(text.utf8), path: "later.jsonl")
        #expect(
            t.events == [.unrecognized(type: "hologram"), .note("still read"), .sessionEnded(status: .unknown, reason: "stopped on error")])
        #expect(TranscriptRendering.timeline(t).contains("hologram"))
    }

    @Test func aShellTranscriptOfThePreviousVersionShowsExportsAndReplays() throws {
        let t = try Transcript.read(path: Self.fixture("shell-v0.1.0.jsonl"))
        #expect(t.unreadableLines.isEmpty && t.truncatedBytes == 0)
        #expect(!t.events.contains { if case .unrecognized = $0 { true } else { false } })
        #expect(t.events.contains(.variableSet(name: "idle_minutes", value: "0")))
        #expect(t.events.contains { if case .targetChanged("redis", _) = $0 { true } else { false } })
        let s = TranscriptSummary(t)
        #expect(s.runbooks == ["db-connection-failure"])
        #expect(s.outcome == .ok)
        #expect(s.notes.count == 1)
        let fix = try #require(s.remediations.first { $0.id == "terminate-idle" })
        #expect(fix.decision == .confirmed && fix.decidedBy == .operatorInput && fix.applied == .ok && fix.verified == true)
        #expect(s.findings.contains { $0.id == "many-idle-connections" && $0.state == .resolved })
        let md = TranscriptRendering.markdown(t)
        #expect(md.contains("**`terminate-idle`** (changes): confirmed by operator; applied: ok; **verified fixed**"))
        #expect(md.contains("| warning | `many-idle-connections` | resolved |"))
        let timeline = TranscriptRendering.timeline(t)
        #expect(timeline.contains("set idle_minutes=0"))
        #expect(timeline.contains("fix verified: terminate-idle: fixed"))
        let recorded = RecordedRun(t)
        #expect(recorded.runbook == "db-connection-failure")
        #expect(recorded.steps.count == 6)
        #expect(recorded.decisions["terminate-idle"]?.confirmed == true)
        #expect(recorded.verified["terminate-idle"] == true)
    }

    @Test func runAndInterruptedTranscriptsOfThePreviousVersionRead() throws {
        let run = try Transcript.read(path: Self.fixture("run-triage-v0.1.0.jsonl"))
        #expect(run.unreadableLines.isEmpty)
        #expect(run.events.contains(.answer(step: "kind", value: "service-down", by: .flag)))
        #expect(
            run.events.contains {
                if case .sessionStarted(let s) = $0 { s.mode == "unattended" && s.allow == "none" && s.dryRun == false } else { false }
            })
        #expect(RecordedRun(run).answers["kind"] == "service-down")
        let cut = try Transcript.read(path: Self.fixture("interrupt-v0.1.0.jsonl"))
        #expect(cut.events.contains(.interrupted(step: "adhoc-1", signal: nil)))
        #expect(TranscriptSummary(cut).interrupts == 1)
        #expect(TranscriptRendering.markdown(cut).contains("1 run, 1 interrupted"))
    }
}
