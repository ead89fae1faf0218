import Clients
import Foundation
import Lab
import Probes
import Testing
import TestSupport

/// The shell on a real terminal, driven through tmux.
@Suite(.enabled(if: TmuxSession.isAvailable && (LabFixture.isUp || LabFixture.isRequired)))
struct TerminalTests {
    static func shell(
        _ extra: [String] = [], state: String = NSTemporaryDirectory() + "rbsh-state-\(UUID().uuidString)", width: Int = 150
    ) throws -> TmuxSession {
        let transcript = NSTemporaryDirectory() + "rbsh-tty-\(UUID().uuidString).jsonl"
        return try TmuxSession.rbsh(["shell", "--transcript", transcript] + extra, state: state, width: width)
    }

    @Test(arguments: [60, 80, 120])
    func helpIsInAlignedColumnsAtAnyWidth(width: Int) async throws {
        try await LabAccess.sharing {
            let t = try Self.shell(width: width)
            t.waitFor("rbsh>")
            try t.type("help")
            try t.send("Enter")
            t.waitFor("Ctrl-C stops a running step")
            let lines = t.screen().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard let first = lines.firstIndex(where: { $0.hasPrefix("  help [COMMAND]") }),
                let last = lines.firstIndex(where: { $0.hasPrefix("Ctrl-C stops") })
            else {
                Issue.record("no help on the screen:\n\(t.screen())")
                return
            }
            let table = lines[first..<last]
            // Every summary, and every wrapped line of one, starts in the same column.
            let column = try #require(table.first.flatMap { $0.range(of: "list commands")?.lowerBound }).utf16Offset(in: table.first ?? "")
            for line in table {
                #expect(line.count <= width, "wider than the terminal: \(line)")
                // The two usages wider than the column stand alone; their summaries follow below.
                if line.hasPrefix("  check ") || line.hasPrefix("  transcript ") { continue }
                let chars = Array(line)
                #expect(chars.count > column && chars[column - 1] == " " && chars[column] != " ", "misaligned: \(line)")
            }
            #expect(
                table.contains { $0.hasPrefix("  check system|tcp|listen|tls|ws ...") && !$0.contains("CPU") },
                "a usage wider than the column has its line to itself")
        }
    }

    // capture-pane drops trailing spaces: the prompt reads `rbsh>` there.

    @Test func tabCompletesCommandsAndRunbooks() async throws {
        try await LabAccess.sharing {
            let t = try Self.shell()
            t.waitFor("rbsh>")
            try t.type("sta")
            try t.send("Tab")
            t.waitFor("rbsh> start")
            try t.type("db-c")
            try t.send("Tab")
            t.waitFor("rbsh> start db-connection-failure")
            try t.send("Enter")
            t.waitFor("next: [1/7] accepting")
            try t.type("goto by")
            try t.send("Tab")
            t.waitFor("goto by-state")
        }
    }

    @Test func historyIsKeptAcrossSessions() async throws {
        try await LabAccess.sharing {
            let state = NSTemporaryDirectory() + "rbsh-state-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: state) }
            let marker = "history-marker-\(UInt32.random(in: 0...UInt32.max))"
            do {
                let first = try Self.shell(state: state)
                first.waitFor("rbsh>")
                try first.type("note \(marker)")
                try first.send("Enter")
                first.waitFor("noted")
                try first.type("note password=do-not-keep-me")
                try first.send("Enter")
                first.waitFor("rbsh> note password=do-not-keep-me\nnoted")
                try first.send("C-d")
                first.waitFor("transcript:")
            }
            let history = try String(contentsOfFile: state + "/rbsh/history", encoding: .utf8)
            #expect(history.contains(marker))
            #expect(!history.contains("do-not-keep-me"), "a line with a secret stays out of the history")
            let second = try Self.shell(state: state)
            second.waitFor("rbsh>")
            try second.send("Up")
            second.waitFor("rbsh> note \(marker)")
        }
    }

    @Test func ctrlCStopsAShellStepAndItsWholeGroup() async throws {
        try await LabAccess.sharing {
            let t = try Self.shell()
            t.waitFor("rbsh>")
            let marker = "31.\(Int.random(in: 100...999))"
            try t.type("sh sleep \(marker) | cat; echo never")
            try t.send("Enter")
            t.waitFor("running adhoc-1")
            usleep(300_000)
            try t.send("C-c")
            let took = t.waitFor("adhoc-1 interrupted", timeout: 5)
            #expect((took ?? 99) < 1, "the step took \(took ?? -1) s to stop")
            usleep(100_000)
            let left = ShellRunner().run(argv: ["/usr/bin/pgrep", "-f", "sleep \(marker)"], timeout: 5)
            #expect(left.output.text.isEmpty, "left behind: \(left.output.text)")
            #expect(!t.screen().split(separator: "\n").contains("never"), "the rest of the command ran")
            try t.type("help")
            try t.send("Enter")
            t.waitFor("Ctrl-C stops a running step")
        }
    }

    @Test func ctrlCCancelsARunningQueryOnTheServer() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let t = try Self.shell()
            t.waitFor("rbsh>")
            try t.type("sql select pg_sleep(30) as tty_test_sleep")
            try t.send("Enter")
            t.waitFor("running adhoc-1")
            usleep(300_000)
            try t.send("C-c")
            let took = t.waitFor("query cancelled", timeout: 5)
            #expect((took ?? 99) < 1)
            #expect(try LabFixture.activeQueries(lab, marker: "tty_test_sleep") == 0, "the query is still running on the server")
        }
    }

    @Test func ctrlCAtThePromptClearsTheLineAndCtrlDQuits() async throws {
        try await LabAccess.sharing {
            let t = try Self.shell()
            t.waitFor("rbsh>")
            try t.type("half typed")
            try t.send("C-c")
            t.waitFor("half typed^C")
            try t.type("note still here")
            try t.send("Enter")
            t.waitFor("noted")
            #expect(!t.screen().contains("half typednote"))
            try t.send("C-d")
            t.waitFor("transcript:")
        }
    }

    @Test func ctrlRSearchesTheHistory() async throws {
        try await LabAccess.sharing {
            let t = try Self.shell()
            t.waitFor("rbsh>")
            try t.type("note search-marker-42")
            try t.send("Enter")
            t.waitFor("noted")
            try t.type("vars")
            try t.send("Enter")
            t.waitFor("no variables")
            try t.send("C-r")
            try t.type("search-mark")
            t.waitFor("rbsh> note search-marker-42")
            try t.send("Enter")
            usleep(300_000)
            #expect(t.screen().components(separatedBy: "noted").count == 3, "the found line ran again")
        }
    }

    @Test func unicodeInputSurvives() async throws {
        try await LabAccess.sharing {
            let t = try Self.shell()
            t.waitFor("rbsh>")
            try t.type("note 数据库连接失败 ok")
            try t.send("Enter")
            t.waitFor("noted")
            #expect(t.screen().contains("rbsh> note 数据库连接失败 ok"))
        }
    }
}
