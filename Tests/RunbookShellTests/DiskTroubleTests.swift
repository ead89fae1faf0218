import Foundation
import LineEditing
import RunbookKit
import Testing
import TestSupport
@testable import RunbookShell

/// A transcript that cannot be written: said at once, nothing runs or shows
/// unrecorded, the file parses up to the failure; a person can move it.
@Suite(.enabled(if: TinyDisk.isAvailable))
struct DiskTroubleTests {
    /// Bigger than what is left of the file's last page, once the disk is full.
    static let big = "note the disk is full: " + String(repeating: "x", count: 6000)

    func shell(_ lines: [String], interactive: Bool, transcript: String) throws -> (
        ShellSession, HeadlessShellTests.Buffer, TranscriptWriter
    ) {
        let buffer = HeadlessShellTests.Buffer()
        let writer = try TranscriptWriter(path: transcript, redactor: Redactor(), header: TranscriptHeader(command: "shell"))
        try writer.write(.sessionStarted(SessionStart(mode: "script")))
        let shell = ShellSession(
            reader: ScriptedLineReader(lines, interactive: interactive), console: Console(sink: { text, _ in buffer.append(text) }),
            style: Style(enabled: false), targets: Targets(), redactor: Redactor(),
            catalogue: RunbookCatalogue(directories: [], includeBuiltins: false), transcript: writer, stopOnError: false, presets: [:])
        return (shell, buffer, writer)
    }

    @Test func aScriptStopsAtOnceWithExit3AndTheFileParses() throws {
        let disk = try TinyDisk(kilobytes: 256)
        let path = disk.path + "/t.jsonl"
        let (shell, out, _) = try shell([Self.big, "sh echo never-run", "note never", "quit"], interactive: false, transcript: path)
        disk.fill()
        #expect(shell.loop() == 3)
        #expect(out.value.contains("No space left on device"))
        #expect(!out.value.contains("never-run"), "nothing ran after the failure")
        #expect(!out.value.contains("noted"), "nothing shown that was not recorded")
        let t = try Transcript.read(path: path)
        #expect(t.unreadableLines.isEmpty && t.truncatedBytes == 0)
        #expect(t.events.count == 1, "the session's start, and nothing half-written")
    }

    @Test func aPersonMovesTheTranscriptAndGoesOn() throws {
        let disk = try TinyDisk(kilobytes: 256)
        let elsewhere = NSTemporaryDirectory() + "rbsh-moved-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let (shell, out, _) = try shell(
            [Self.big, elsewhere, "note after the move", "quit"], interactive: true, transcript: disk.path + "/t.jsonl")
        disk.fill()
        #expect(shell.loop() == 0)
        #expect(out.value.contains("the transcript goes on in \(elsewhere)"))
        let moved = try Transcript.read(path: elsewhere)
        #expect(moved.unreadableLines.isEmpty)
        #expect(moved.events.first == .sessionStarted(SessionStart(mode: "script")), "what came before is copied")
        #expect(moved.events.contains(.note(String(Self.big.dropFirst("note ".count)))), "the event held back is recorded")
        #expect(moved.events.contains(.note("after the move")))
        if case .sessionEnded = moved.events.last {} else { Issue.record("no session_end: \(moved.events)") }
    }

    @Test func anUnattendedRunStopsWithExit3() throws {
        let disk = try TinyDisk(kilobytes: 256)
        let dir = NSTemporaryDirectory() + "rbsh-full-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let steps = (1...8).map { "  - id: s\($0)\n    shell: \"head -c 60000 /dev/zero | tr '\\\\0' x\"\n" }.joined()
        try "id: big\ntitle: Big\ncategory: tool\nsteps:\n\(steps)".write(toFile: dir + "/big.yaml", atomically: true, encoding: .utf8)
        let p = try RbshProcess.run(["run", dir + "/big.yaml", "--transcript", disk.path + "/t.jsonl"])
        #expect(p.status == 3)
        #expect(p.stderr.split(separator: "\n").count == 1 && p.stderr.contains("No space left on device"), "\(p.stderr)")
        let t = try Transcript.read(path: disk.path + "/t.jsonl")
        #expect(t.unreadableLines.isEmpty && t.truncatedBytes == 0)
        let shown = p.stdout.split(separator: "\n").filter { $0.hasPrefix("[") }.count
        let recorded = t.events.filter { if case .stepEnded = $0 { true } else { false } }.count
        #expect(shown == recorded, "every step shown is recorded: \(shown) shown, \(recorded) recorded")
        #expect(recorded < 8)
    }
}
