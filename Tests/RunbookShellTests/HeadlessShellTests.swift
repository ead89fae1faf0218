import Foundation
import LineEditing
import RunbookKit
import Testing
@testable import RunbookShell

/// The shell's loop with no terminal and no servers: lines from a scripted
/// reader, output into a buffer, a runbook of shell steps.
@Suite struct HeadlessShellTests {
    final class Buffer: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func append(_ s: String) { lock.lock(); text += s; lock.unlock() }
        var value: String { lock.lock(); defer { lock.unlock() }; return text }
    }

    static let runbook = """
        id: local
        title: Local checks
        category: tool
        inputs:
          - id: expected
            default: "ok"
        steps:
          - id: greet
            title: Say hello
            shell: echo hello
          - id: kind
            ask: Which branch?
            choices: [left, right]
            next:
              - when: answer == "right"
                goto: right
          - id: left
            shell: "exit 3"
            findings:
              - id: left-failed
                when: exit_code != 0
                severity: warning
                message: left exited ${exit_code}
            next: end
          - id: right
            shell: echo right
        remediations:
          - id: mend
            title: Mend the left side
            fixes: [left-failed]
            risk: changes
            shell: echo mended
            verify: right
        """

    func session(_ lines: [String]) throws -> (ShellSession, Buffer, String) {
        let dir = NSTemporaryDirectory() + "rbsh-headless-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Self.runbook.write(toFile: dir + "/local.yaml", atomically: true, encoding: .utf8)
        let buffer = Buffer()
        let redactor = Redactor()
        let transcript = try TranscriptWriter(path: dir + "/t.jsonl", redactor: redactor, header: TranscriptHeader())
        let shell = ShellSession(
            reader: ScriptedLineReader(lines), console: Console(sink: { text, _ in buffer.append(text) }), style: Style(enabled: false),
            targets: Targets(), redactor: redactor, catalogue: RunbookCatalogue(directories: [dir], includeBuiltins: false),
            transcript: transcript, stopOnError: false, presets: [:])
        return (shell, buffer, dir)
    }

    @Test func walksAsksBranchesAndOffersTheFix() throws {
        let (shell, out, dir) = try session(["start local", "", "left", "", "y", "findings", "steps", "quit"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(shell.loop() == 0)
        let text = out.value
        #expect(text.contains("next: [1/4] greet — Say hello"))
        #expect(text.contains("hello"))
        #expect(text.contains("? Which branch?  [left | right]"))
        #expect(text.contains("WARNING left-failed: left exited 3"))
        #expect(text.contains("remediation mend — Mend the left side"))
        #expect(text.contains("Run it? [y/N] y"))
        #expect(text.contains("applied mend: ok"))
        #expect(text.contains("verify mend: still open: left-failed"), "the verify step (right) does not re-check left")
        let transcript = try Transcript.read(path: dir + "/t.jsonl")
        #expect(transcript.events.contains(.answer(step: "kind", value: "left", by: .operatorInput)))
        #expect(transcript.events.contains { if case .remediationDecision("mend", true, .operatorInput, _) = $0 { true } else { false } })
        // Each event once: the shell used to write a step's records twice.
        #expect(transcript.events.filter { $0.type == "step_end" && $0.step == "greet" }.count == 1)
        // The walk's run of `left`, and its run again right before the fix acted (its guard).
        #expect(transcript.events.filter { $0.type == "step_end" && $0.step == "left" }.count == 2)
        #expect(
            transcript.events.contains {
                if case .stepEnded("left", .guardCheck("mend"), _, _) = $0 { true } else { false }
            })
    }

    @Test func aScriptGetsOneTryAtAQuestion() throws {
        let (shell, out, dir) = try session(["start local", "", "up", "vars", ""])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = shell.loop()
        #expect(out.value.contains("`up` is not one of: left, right; the question is skipped"))
        #expect(out.value.contains("expected = ok"), "the next line is a command again")
        #expect(out.value.contains("local finished"))
    }

    @Test func navigationCommandsMoveThroughTheRunbook() throws {
        let (shell, out, dir) = try session(["start local", "skip", "right", "goto nowhere", "steps", "vars", "fix", "quit"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = shell.loop()
        let text = out.value
        #expect(text.contains("greet skipped"))
        #expect(text.contains("next: [4/4] right"))
        #expect(text.contains("→ 4. right"))
        #expect(text.contains("error: no step `nowhere`; `steps` lists them"))
        #expect(text.contains("expected = ok"))
        #expect(text.contains("error: no remediation matches the open findings"))
    }

    @Test func unknownCommandsAndMissingArgumentsSayWhatToDo() throws {
        let (shell, out, dir) = try session(["strat local", "sql", "next", "help goto", "check", "quit"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = shell.loop()
        let text = out.value
        #expect(text.contains("error: unknown command `strat`; did you mean `start`?"))
        #expect(text.contains("error: nothing to run; `help` shows examples"))
        #expect(text.contains("error: no runbook started"))
        #expect(text.contains("goto STEP\n  jump to a step\n  example: goto connections"))
        #expect(text.contains("error: check what?"))
    }
}

/// What a person at a terminal sees: styled text, but never inside a
/// libedit prompt, which prints escape bytes as text.
@Suite struct StyledPromptTests {
    static let runbook = """
        id: wipe
        title: Wipe
        category: tool
        steps:
          - id: look
            shell: "exit 1"
            findings:
              - id: dirty
                when: exit_code != 0
                severity: critical
                message: dirty
        remediations:
          - id: wipe-it
            title: Wipe it
            fixes: [dirty]
            risk: destructive
            confirm_word: task_results
            shell: echo wiped
        """

    @Test func noPromptCarriesAnEscapeAndTheTypedWordIsShownStyledOnItsOwnLine() throws {
        let dir = NSTemporaryDirectory() + "rbsh-styled-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.runbook.write(toFile: dir + "/wipe.yaml", atomically: true, encoding: .utf8)
        let buffer = HeadlessShellTests.Buffer()
        let reader = ScriptedLineReader(["start wipe", "", "task_results", "quit"], interactive: true)
        let transcript = try TranscriptWriter(path: dir + "/t.jsonl", redactor: Redactor(), header: TranscriptHeader())
        let shell = ShellSession(
            reader: reader, console: Console(sink: { text, _ in buffer.append(text) }), style: Style(enabled: true),
            targets: Targets(), redactor: Redactor(), catalogue: RunbookCatalogue(directories: [dir], includeBuiltins: false),
            transcript: transcript, stopOnError: false, presets: [:])
        #expect(shell.loop() == 0)
        #expect(reader.prompts.count >= 4)
        for prompt in reader.prompts { #expect(!prompt.contains("\u{1B}"), "a styled prompt: \(prompt.debugDescription)") }
        #expect(buffer.value.contains("Type \u{1B}[1mtask_results\u{1B}[0m to run it"))
        #expect(buffer.value.contains("verify wipe-it"), "the typed word ran the fix")
    }
}

/// A script's log names a step only when it is still running after a second.
@Suite struct ScriptLogTests {
    @Test func aSlowStepIsNamedWhileItRuns() throws {
        let dir = NSTemporaryDirectory() + "rbsh-late-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let buffer = HeadlessShellTests.Buffer()
        let shell = ShellSession(
            reader: ScriptedLineReader(["sh sleep 2.5", "quit"]), console: Console(sink: { text, _ in buffer.append(text) }),
            style: Style(enabled: false), targets: Targets(), redactor: Redactor(),
            catalogue: RunbookCatalogue(directories: [], includeBuiltins: false),
            transcript: try TranscriptWriter(path: dir + "/t.jsonl", redactor: Redactor(), header: TranscriptHeader()), stopOnError: false,
            presets: [:])
        _ = shell.loop()
        let lines = buffer.value.split(separator: "\n").map(String.init)
        let announced = lines.firstIndex { $0 == "running adhoc-1: sleep 2.5 (still running)" }
        let ended = lines.firstIndex { $0.hasPrefix("[ad-hoc] adhoc-1 ok") }
        #expect(announced != nil && ended != nil && (announced ?? 0) < (ended ?? 0), "the late line comes before the end: \(lines)")
    }
}
