import Foundation
@testable import IncidentMemory
import RunbookKit
import Testing

/// The index on real SQLite files: what it keeps of a transcript, how
/// recall counts and names fixes, and how it survives what happens to
/// transcripts (cut short, edited, gone, copied, resumed) and to folders
/// (foreign files, two writers at once).
@Suite struct MemoryIndexTests {
    let dir = NSTemporaryDirectory() + "rbsh-memory-\(UUID().uuidString)"
    var indexPath: String { dir + "/state/memory.sqlite" }

    /// A session of `runbook` that found `cause` (critical) on `host` at
    /// `started`, with a fix for it that came out `fix` (nil: none offered).
    @discardableResult
    func transcript(
        _ name: String, started: Date, host: String = "db-1", cause: String = "postgres-unreachable",
        runbook: String = "db-connection-failure", fix: PastSession.FixState? = nil, continues: String? = nil, mode: String = "unattended",
        walked: String? = nil
    ) throws -> String {
        let path = dir + "/transcripts/" + name
        var header = TranscriptHeader(command: "run", runbook: walked ?? runbook, rbshVersion: "test", user: "li", host: host, pid: 1)
        header.continues = continues
        let w = try TranscriptWriter(path: path, redactor: Redactor(), header: header)
        try w.write(.sessionStarted(SessionStart(mode: mode)))
        try w.write(.runbookStarted(id: runbook, title: "PostgreSQL connection failure"))
        let finding = Finding(
            id: cause, severity: .critical, message: "PostgreSQL at db:5432 refused the connection", step: "accepting", runbook: runbook)
        try w.write(.stepEnded(step: "accepting", purpose: .diagnose, result: StepResult(status: .failed), findings: [finding]))
        if let fix {
            try w.write(.remediationOffered(id: "restart-postgres", risk: .changes, fixes: [cause], detail: "systemctl restart postgresql"))
            try w.write(.remediationDecision(id: "restart-postgres", confirmed: fix != .declined, by: .operatorInput, reason: nil))
            if fix == .verified || fix == .failed {
                try w.write(.remediationApplied(id: "restart-postgres", status: .ok))
                try w.write(
                    .remediationVerified(id: "restart-postgres", verified: fix == .verified, stillOpen: fix == .verified ? [] : [cause]))
            }
        }
        try w.write(.runbookEnded(id: runbook, status: .critical))
        try w.write(.sessionEnded(status: .critical, reason: nil))
        // The writer stamps the time it runs; a past session's is set here.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let stamped = text.replacingOccurrences(
            of: #""started":"[^"]*""#, with: "\"started\":\"\(started.formatted(.iso8601))\"", options: .regularExpression,
            range: text.startIndex..<(text.firstIndex(of: "\n") ?? text.endIndex))
        try stamped.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    func daysAgo(_ n: Double) -> Date { Date().addingTimeInterval(-n * 86_400) }

    @Test func recallCountsTheWindowNamesOnlyVerifiedFixesAndSaysNewHere() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try transcript("a.jsonl", started: daysAgo(40), fix: .verified)
        try transcript("b.jsonl", started: daysAgo(12), host: "db-2", fix: .failed)
        try transcript("c.jsonl", started: daysAgo(3), host: "db-3", fix: .declined)
        try transcript("d.jsonl", started: daysAgo(2), cause: "too-many-connections", fix: .failed)
        try transcript("t.jsonl", started: daysAgo(1), mode: "test")
        let index = try MemoryIndex(path: indexPath)
        let report = try index.index(folders: [dir + "/transcripts"])
        #expect(report.added == 5 && report.skipped.isEmpty, "\(report.lines)")

        let said = try index.recall(["db-connection-failure/postgres-unreachable", "db-connection-failure/too-many-connections", "x/never"])
        let pg = try #require(said["db-connection-failure/postgres-unreachable"])
        // Three sessions found it (the test case is no incident); two in the last 30 days.
        #expect(pg.seenEver == 3 && pg.seen == 2 && pg.label == .rare)
        #expect(pg.last?.host == "db-3" && pg.last?.user == "li")
        #expect(pg.fixedBy == [CauseRecall.FixCount(remediation: "restart-postgres", times: 1)])
        #expect(pg.didNotHold == [CauseRecall.FixCount(remediation: "restart-postgres", times: 1)])
        #expect(
            pg.line.contains("seen 2× in 30 days (rare), 3× in all") && pg.line.contains("fixed by restart-postgres (verified)"),
            "\(pg.line)")

        let tooMany = try #require(said["db-connection-failure/too-many-connections"])
        #expect(tooMany.fixedBy.isEmpty && tooMany.didNotHold.map(\.remediation) == ["restart-postgres"])
        #expect(!tooMany.line.contains("fixed by") && tooMany.line.contains("no fix verified then"), "\(tooMany.line)")
        #expect(tooMany.line.contains("restart-postgres tried, did not hold"))

        let never = try #require(said["x/never"])
        #expect(never.label == .newHere && never.last == nil && never.line.hasPrefix("new here"))

        // Recall for a postmortem leaves out what came later, and the session itself.
        let before = try index.recall(
            ["db-connection-failure/postgres-unreachable"],
            scope: MemoryIndex.Scope(before: daysAgo(5), excluding: [dir + "/transcripts/a.jsonl"]))
        #expect(before["db-connection-failure/postgres-unreachable"]?.seenEver == 1)
    }

    @Test func theLinesTheMemorySkipsChangeNothingItReads() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try transcript("full.jsonl", started: daysAgo(1), fix: .failed)
        // Steps with outputs, one whose values hold keys named `type` and `findings`, a question.
        let w = try TranscriptWriter(path: dir + "/extra.jsonl", redactor: Redactor(), header: TranscriptHeader(command: "run"))
        try w.write(.stepStarted(step: "log", title: "The log", kind: "shell", purpose: .diagnose, detail: #"grep '"type":"step_end"' x"#))
        let values: [String: Value] = ["type": .string("runbook_start"), "findings": .number(0)]
        try w.write(.stepEnded(step: "log", purpose: .diagnose, result: StepResult(status: .ok, values: values), findings: []))
        let finding = Finding(
            id: "api-5xx", severity: .warning, message: "the API answers 503", step: "health", runbook: "management-platform-down")
        try w.write(.stepEnded(step: "health", purpose: .diagnose, result: StepResult(status: .ok, values: values), findings: [finding]))
        try w.write(.question(step: "kind", text: "What kind?", choices: ["a", "b"]))
        let extra = try String(contentsOfFile: dir + "/extra.jsonl", encoding: .utf8).split(separator: "\n").dropFirst()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let all = ([lines[0], lines[1]] + extra + lines.dropFirst(2)).joined(separator: "\n") + "\n"
        let full = try Transcript.parse(Data(all.utf8), path: path)
        let kept = TranscriptEssentials.filter(Data(all.utf8))
        #expect(kept.count < all.utf8.count)
        let essential = try Transcript.parse(kept, path: path)
        #expect(PastSession(essential, sha256: "x") == PastSession(full, sha256: "x"))
        #expect(PastSession(essential, sha256: "x").seen.map(\.finding).contains("management-platform-down/api-5xx"))
    }

    @Test func frequentFromThreeInTheWindow() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for n in 0..<3 { try transcript("f\(n).jsonl", started: daysAgo(Double(n + 1)), fix: .verified) }
        let index = try MemoryIndex(path: indexPath)
        _ = try index.index(folders: [dir + "/transcripts"])
        let r = try #require(try index.recall(["db-connection-failure/postgres-unreachable"]).values.first)
        #expect(r.label == .frequent && r.fixedBy.first?.times == 3)
    }

    @Test func aResumedSessionCountsOnceAndACopyCountsOnce() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try transcript("killed.jsonl", started: daysAgo(2))
        try transcript("resumed.jsonl", started: daysAgo(2), fix: .verified, continues: first)
        try FileManager.default.createDirectory(atPath: dir + "/transcripts/shared", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: first, toPath: dir + "/transcripts/shared/copy.jsonl")
        let index = try MemoryIndex(path: indexPath)
        let report = try index.index(folders: [dir + "/transcripts"])
        #expect(report.duplicates == 1, "\(report.lines)")
        #expect(try index.count() == 1)
        let r = try #require(try index.recall(["db-connection-failure/postgres-unreachable"]).values.first)
        #expect(r.seenEver == 1 && r.fixedBy.map(\.remediation) == ["restart-postgres"])
    }

    @Test func aTranscriptCutShortEditedOrGoneIsNoticed() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cut = try transcript("cut.jsonl", started: daysAgo(1))
        let text = try String(contentsOfFile: cut, encoding: .utf8)
        // As kill -9 leaves it: half a line at the end, no session_end.
        let lines = text.split(separator: "\n")
        try (lines.dropLast(2).joined(separator: "\n") + "\n" + lines[lines.count - 2].prefix(20)).write(
            toFile: cut, atomically: false, encoding: .utf8)
        let edited = try transcript("edited.jsonl", started: daysAgo(1), host: "db-9")
        let gone = try transcript("gone.jsonl", started: daysAgo(1))
        let index = try MemoryIndex(path: indexPath)
        #expect(try index.index(folders: [dir + "/transcripts"]).added == 3)

        let again = try index.index(folders: [dir + "/transcripts"])
        #expect(again.added == 0 && again.unchanged == 3 && again.changed.isEmpty)

        let before = try String(contentsOfFile: edited, encoding: .utf8)
        try before.replacingOccurrences(of: "db-9", with: "db-7").write(toFile: edited, atomically: false, encoding: .utf8)
        try FileManager.default.removeItem(atPath: gone)
        let later = try index.index(folders: [dir + "/transcripts"])
        #expect(later.changed == [edited] && later.gone == [gone], "\(later.lines)")
        #expect(later.lines.contains("changed since it was indexed: \(edited)"))
        let r = try #require(try index.recall(["db-connection-failure/postgres-unreachable"]).values.first)
        #expect(r.seenEver == 3)
        #expect(try index.search(MemoryIndex.Query(findings: ["postgres-unreachable": 1])).contains { $0.host == "db-7" })
    }

    @Test func aRunbookMatchesSessionsThatWalkedItOrFoundItsCausesNotThoseThatSweptIt() throws {
        try transcript("triage.jsonl", started: daysAgo(1), host: "swept", walked: "triage")
        try transcript("walked.jsonl", started: daysAgo(2), host: "walked", cause: "slow-queries", runbook: "slow-response")
        let index = try MemoryIndex(path: dir + "/memory.sqlite")
        _ = try index.index(folders: [dir + "/transcripts"])
        // The triage session found a cause of db-connection-failure; it swept slow-response too, and found nothing there.
        let byCause = try index.search(MemoryIndex.Query(runbooks: ["db-connection-failure": 0.8]))
        #expect(byCause.map(\.host) == ["swept"])
        let byWalk = try index.search(MemoryIndex.Query(runbooks: ["slow-response": 0.8, "triage": 0.2]))
        #expect(byWalk.map(\.host) == ["walked", "swept"])
        #expect(try index.search(MemoryIndex.Query(runbooks: ["high-memory": 1])).isEmpty)
    }

    @Test func foreignFilesAreSkippedOnceEach() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let folder = dir + "/transcripts"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for n in 0..<1000 { try Data(#"{"n": \#(n), "not": "a transcript"}"#.utf8).write(to: URL(fileURLWithPath: folder + "/f\(n).json")) }
        try Data("binary\u{0}junk".utf8).write(to: URL(fileURLWithPath: folder + "/junk.jsonl"))
        try transcript("real.jsonl", started: daysAgo(1))
        let index = try MemoryIndex(path: indexPath)
        let first = try index.index(folders: [folder])
        #expect(first.added == 1 && first.skipped.count == 1001)
        #expect(first.lines.filter { $0.hasPrefix("skipped ") }.count == 1001)
        #expect(first.lines.contains { $0.contains("f7.json") && $0.contains("not an rbsh transcript header") })
        let second = try index.index(folders: [folder])
        #expect(second.skipped.isEmpty && second.skippedBefore == 1001 && second.unchanged == 1)
    }

    @Test func twoWritersAtOnceLoseNothing() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for n in 0..<120 { try transcript("s\(n).jsonl", started: daysAgo(Double(n % 30)), host: "h\(n)") }
        // Two connections, as two rbsh processes have: the same folder, at once.
        let path = indexPath
        _ = try MemoryIndex(path: path)
        let folder = dir + "/transcripts"
        async let a = Task.detached { try MemoryIndex(path: path).index(folders: [folder]) }.value
        async let b = Task.detached { try MemoryIndex(path: path).index(folders: [folder]) }.value
        let (ra, rb) = try await (a, b)
        #expect(ra.skipped.isEmpty && rb.skipped.isEmpty, "\(ra.lines) \(rb.lines)")
        let index = try MemoryIndex(path: path)
        #expect(try index.count() == 120)
        #expect(try index.search(MemoryIndex.Query(findings: ["postgres-unreachable": 1], limit: 500)).count == 120)
    }
}
