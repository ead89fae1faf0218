import Foundation
import LineEditing
import RunbookKit
import Testing
import TestSupport
@testable import RunbookShell

/// The operator's words in the shell: aliases, symptoms, a walk that ends once.
@Suite struct RunbookNamesShellTests {
    func shell(_ lines: [String], runbooks: String? = nil) throws -> (ShellSession, HeadlessShellTests.Buffer, String) {
        let dir = NSTemporaryDirectory() + "rbsh-names-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if let runbooks { try runbooks.write(toFile: dir + "/one.yaml", atomically: true, encoding: .utf8) }
        let buffer = HeadlessShellTests.Buffer()
        let shell = ShellSession(
            reader: ScriptedLineReader(lines), console: Console(sink: { text, _ in buffer.append(text) }), style: Style(enabled: false),
            targets: Targets(), redactor: Redactor(), catalogue: RunbookCatalogue(directories: [dir], includeBuiltins: runbooks == nil),
            transcript: try TranscriptWriter(path: dir + "/t.jsonl", redactor: Redactor(), header: TranscriptHeader()),
            stopOnError: false, presets: [:])
        return (shell, buffer, dir)
    }

    @Test func everyAliasOfEveryRunbookStartsIt() throws {
        let catalogue = RunbookCatalogue(directories: [], includeBuiltins: true)
        for entry in catalogue.entries {
            let book = try #require(entry.runbook)
            for alias in book.aliases {
                let (s, out, dir) = try shell(["start \(alias)", "quit"])
                defer { try? FileManager.default.removeItem(atPath: dir) }
                _ = s.loop()
                #expect(out.value.contains("\(book.id) — \(book.title)"), "start \(alias): \(out.value)")
            }
        }
    }

    @Test func tabCompletesAliases() throws {
        let (s, _, dir) = try shell([])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(s.completions(forLine: "start 数据库").contains("数据库连接失败"))
        #expect(s.completions(forLine: "start ").contains("WebSocket连接失败"))
    }

    @Test func tabCompletesInventoriesThenTheirGroupsAndHostsButRunsNoExecutable() throws {
        let (s, _, dir) = try shell([])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "[agents]\nagent-01\nagent-02\n[db]\ndb-1\n".write(toFile: dir + "/inv.ini", atomically: true, encoding: .utf8)
        #expect(s.completions(forLine: "hosts \(dir)/").contains("\(dir)/inv.ini"))
        #expect(s.completions(forLine: "hosts ").contains("none"))
        let names = s.completions(forLine: "hosts \(dir)/inv.ini ")
        #expect(["agents", "db", "agent-01", "agent-02", "db-1"].allSatisfy(names.contains), "\(names)")
        // An executable inventory would run: Tab leaves it alone.
        let script = dir + "/dynamic.sh"
        try "#!/bin/sh\ntouch \(dir)/ran\necho '{}'\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        #expect(s.completions(forLine: "hosts \(script) ").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir + "/ran"))
    }

    @Test func findListsTheRunbooksForASymptomAndStartOffersTheBest() throws {
        let (s, out, dir) = try shell(["find API接口无响应", "start the API does not answer", "y", "start 数据", "quit"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = s.loop()
        let text = out.value
        #expect(
            text.contains("management-platform-down  The management platform does not start or answer  — matched: the API does not answer"))
        #expect(text.contains("`the API does not answer` names no runbook; it reads like management-platform-down"))
        #expect(text.contains("Start it? [y/N] y"))
        #expect(text.contains("next: [1/5] containers"))
        #expect(text.contains("error: `数据` could name `data-inconsistency` (数据不一致), `db-connection-failure` (数据库连接失败)"))
    }

    @Test func aFinishedRunbookSaysSoOnceAndEnterThenDoesNothing() throws {
        let one = """
            id: one
            title: One step
            category: tool
            steps:
              - id: only
                shell: "true"
            """
        let (s, out, dir) = try shell(["start one", "", "", "", "skip", ""], runbooks: one)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = s.loop()
        #expect(out.value.components(separatedBy: "one finished").count == 2, "\(out.value)")
    }

    @Test func helpColumnsLineUpAtAnyWidth() {
        for width in [60, 80, 120] {
            let lines = ShellCommandTable.help(width: width).split(separator: "\n").map(String.init)
            let column = 2 + min(ShellCommandTable.entries.map(\.usage.count).max() ?? 0, 26) + 2
            for line in lines {
                #expect(line.count <= width, "\(width): \(line)")
                if line.hasPrefix(String(repeating: " ", count: column)) { continue }
                let usage = ShellCommandTable.entries.first { line.hasPrefix("  " + $0.usage) }
                #expect(usage != nil, "\(width): \(line)")
                if let usage, usage.usage.count <= column - 4 {
                    #expect(line.dropFirst(column).first != " " && line.prefix(column).hasSuffix("  "), "\(width): \(line)")
                }
            }
        }
    }
}

/// The same names from the command line, with no shell.
@Suite struct RunbookNamesCommandTests {
    @Test func everyAliasNamesItsRunbookForRun() throws {
        let catalogue = RunbookCatalogue(directories: [], includeBuiltins: true)
        for entry in catalogue.entries {
            for alias in entry.runbook?.aliases ?? [] {
                // The runbook is found before anything runs; a step it lacks ends it there.
                let p = try RbshProcess.run(["run", alias, "--from", "no-such-step", "--transcript", "/dev/null"])
                #expect(p.status == 64)
                #expect(p.stderr.hasPrefix("rbsh: \(entry.id) has no step `no-such-step`"), "\(alias): \(p.stderr)")
            }
        }
        let ambiguous = try RbshProcess.run(["run", "数据", "--transcript", "/dev/null"])
        #expect(ambiguous.status == 64)
        #expect(ambiguous.stderr.split(separator: "\n").count == 1)
        let unknown = try RbshProcess.run(["show", "trage"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr == "rbsh: no runbook `trage`; did you mean `triage`?\n")
    }

    @Test func findAnswersInBothLanguagesAndAsJSON() throws {
        let p = try RbshProcess.run(["find", "认证失败", "--format", "json"])
        #expect(p.status == 0)
        let hits = try #require(try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [[String: Any]])
        #expect(Set(hits.prefix(2).compactMap { $0["id"] as? String }) == ["db-connection-failure", "websocket-failure"])
        #expect(hits.first?["score"] as? Double == 1)
        #expect((hits.first?["matched"] as? String)?.contains("认证失败") == true)
        let text = try RbshProcess.run(["find", "connection", "timed", "out"])
        #expect(text.stdout.hasPrefix("db-connection-failure"))
        let none = try RbshProcess.run(["find", "qwertyuiop"])
        #expect(none.status == 1)
        #expect(none.stderr.contains("no runbook matches `qwertyuiop`"))
    }
}

@Suite struct GreetingTests {
    @Test func theGreetingNamesWhatToDoWhenPaged() throws {
        let dir = NSTemporaryDirectory() + "rbsh-greet-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let buffer = HeadlessShellTests.Buffer()
        let shell = ShellSession(
            reader: ScriptedLineReader(["quit"], interactive: true), console: Console(sink: { text, _ in buffer.append(text) }),
            style: Style(enabled: false), targets: Targets(), redactor: Redactor(),
            catalogue: RunbookCatalogue(directories: [], includeBuiltins: false),
            transcript: try TranscriptWriter(path: dir + "/t.jsonl", redactor: Redactor(), header: TranscriptHeader()), stopOnError: false,
            presets: [:])
        _ = shell.loop()
        let greeting = buffer.value.split(separator: "\n").prefix(2).joined(separator: " ")
        #expect(greeting.contains("`start triage`") && greeting.contains("`find SYMPTOM`"), "\(greeting)")
    }
}
