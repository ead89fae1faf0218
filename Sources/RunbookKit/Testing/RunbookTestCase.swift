import Foundation
import Yams

/// A runbook's regression cases: `runbooks/tests/RUNBOOK.yaml`.
///
///     runbook: db-connection-failure
///     cases:
///       - name: the database stopped
///         fault: postgres-down            # a lab fault to inject first (optional; `faults: [a, b]` for several)
///         answers: {idle_minutes: "0"}
///         allow: changes                  # remediations that may run (default: none)
///         expect:
///           status: critical              # ok | warning | critical | unknown
///           path: [accepting, server-log] # the diagnostic steps, in order
///           findings: [postgres-unreachable]   # every warning or critical one the walk reported
///           remediations: {terminate-idle: verified}   # verified | applied | declined | not-offered
///           messages: {postgres-unreachable: "PostgreSQL at <host>:<n> is not accepting connections: <text>"}
///         ignore: [high-cpu]              # findings about the host, not the lab: left out of the comparison
///         flavours: [nested]              # the lab's API flavours it holds on (default: every one)
///
/// A case of a runbook that sweeps others may also expect `start_with`, the
/// runbook its diagnosis names, and `causes`, the findings it ranks as causes
/// (in any order).
public struct RunbookTestCase: Sendable {
    public var name: String
    /// Lab faults injected before the walk, cleared after it.
    public var faults: [String]
    /// The lab API flavours the case is for; empty for every one.
    public var flavours: [String] = []
    public var answers: [String: String]
    public var allow: Risk?
    public var expectedStatus: OutcomeStatus?
    public var expectedPath: [String]?
    public var expectedFindings: [String]?
    public var expectedRemediations: [String: String]
    public var expectedMessages: [String: String]
    public var expectedStart: String?
    public var expectedCauses: [String]?
    /// Findings about the machine the lab runs on (CPU, memory), which a
    /// busy host may raise: not compared, and not counted in the status.
    public var ignored: Set<String> = []
}

public struct RunbookTestFile: Sendable {
    public var runbook: String
    public var cases: [RunbookTestCase]
    public var path: String

    public static func load(path: String) throws(TranscriptError) -> RunbookTestFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw TranscriptError("cannot read \(path)") }
        let node: Node
        do {
            guard let n = try Yams.compose(yaml: text) else { throw TranscriptError("\(path) is empty") }
            node = n
        } catch let e as TranscriptError { throw e } catch { throw TranscriptError("\(path): not valid YAML") }
        func fail(_ n: Node?, _ message: String) -> TranscriptError {
            TranscriptError("\(path):\(n?.mark?.line ?? 1):\(n?.mark?.column ?? 1): \(message)")
        }
        guard let runbook = node["runbook"]?.string else { throw fail(node, "missing `runbook`") }
        guard let list = node["cases"]?.sequence, !list.isEmpty else { throw fail(node, "missing `cases`") }
        var cases: [RunbookTestCase] = []
        for c in list {
            guard let name = c["name"]?.string else { throw fail(c, "a case needs a `name`") }
            var answers: [String: String] = [:]
            for (k, v) in c["answers"]?.mapping ?? [:] {
                guard let key = k.string, let value = v.string else { throw fail(k, "answers are NAME: value") }
                answers[key] = value
            }
            var allow: Risk?
            if let a = c["allow"] {
                guard let r = a.string.flatMap(Risk.init(rawValue:)) else { throw fail(a, "allow is safe, changes or destructive") }
                allow = r
            }
            guard let expect = c["expect"] else { throw fail(c, "case `\(name)` needs `expect`") }
            var status: OutcomeStatus?
            if let s = expect["status"] {
                guard let st = s.string.flatMap(OutcomeStatus.init(rawValue:)) else {
                    throw fail(s, "status is ok, warning, critical or unknown")
                }
                status = st
            }
            var remediations: [String: String] = [:]
            for (k, v) in expect["remediations"]?.mapping ?? [:] {
                guard let key = k.string, let value = v.string, ["verified", "applied", "declined", "not-offered"].contains(value) else {
                    throw fail(k, "remediations are ID: verified | applied | declined | not-offered")
                }
                remediations[key] = value
            }
            var messages: [String: String] = [:]
            for (k, v) in expect["messages"]?.mapping ?? [:] {
                if let key = k.string, let value = v.string { messages[key] = value }
            }
            let known: Set<String> = ["name", "fault", "faults", "answers", "allow", "expect", "ignore", "flavours"]
            for (k, _) in c.mapping ?? [:] where !known.contains(k.string ?? "") {
                throw fail(k, "unknown key `\(k.string ?? "?")` in a case\(Suggestion.hint(for: k.string ?? "", in: known))")
            }
            let faults = c["fault"]?.string.map { [$0] } ?? c["faults"]?.sequence?.compactMap(\.string) ?? []
            var testCase = RunbookTestCase(
                name: name, faults: faults, answers: answers, allow: allow, expectedStatus: status,
                expectedPath: expect["path"]?.sequence?.compactMap(\.string),
                expectedFindings: expect["findings"]?.sequence?.compactMap(\.string),
                expectedRemediations: remediations, expectedMessages: messages,
                expectedStart: expect["start_with"]?.string, expectedCauses: expect["causes"]?.sequence?.compactMap(\.string))
            testCase.ignored = Set(c["ignore"]?.sequence?.compactMap(\.string) ?? [])
            testCase.flavours = c["flavours"]?.sequence?.compactMap(\.string) ?? []
            cases.append(testCase)
        }
        return RunbookTestFile(runbook: runbook, cases: cases, path: path)
    }
}

/// Compares what a case expected with what a run did, volatile values normalised.
public enum RunbookTestVerdict {
    /// Numbers, times and durations become placeholders, so a case can state
    /// a message without its row counts and ages.
    public static func normalize(_ text: String) -> String {
        var s = text
        let rules: [(String, String)] = [
            (#"\d{4}-\d\d-\d\d[T ][0-9:.]+(Z|[+-]\d\d(:?\d\d)?)?"#, "<time>"),
            (#"-?\d+ days? -?\d+:\d\d:\d\d(\.\d+)?|-?\d+:\d\d:\d\d(\.\d+)?"#, "<duration>"),
            (#"\b\d+(\.\d+)?\b"#, "<n>"),
        ]
        for (pattern, replacement) in rules {
            s = s.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return s
    }

    /// The sweep's causes ranked again without the ignored (host) findings:
    /// a busy host's CPU, which explains a slow API, must not take the cause
    /// away from the lab's own slow API and leave nothing. Ranked over what
    /// the sweep ranked, each finding as open as it was then (a fix since
    /// may have resolved it).
    static func labCauses(_ session: RunbookSession, ignoring ignored: Set<String>) -> [String] {
        guard let diagnosis = session.diagnosis else { return [] }
        let ranked = Set(diagnosis.causes.flatMap { [$0.finding] + $0.explains })
        let atSweep = session.findings.filter { ranked.contains($0.id) && !ignored.contains($0.id) }.map { f in
            var open = f
            open.state = .open
            return open
        }
        return Diagnosis.rank(atSweep, explains: session.openExplains(resolvedToo: true)).diagnosis.causes.map(\.finding)
    }

    /// Every difference, as a line; empty when the run did what the case expects.
    public static func differences(_ c: RunbookTestCase, session: RunbookSession, records: [TranscriptEvent]) -> [String] {
        var out: [String] = []
        let status = session.outcome(ignoring: c.ignored)
        if let expected = c.expectedStatus, expected != status {
            out.append("status: expected \(expected.rawValue), got \(status.rawValue)")
        }
        // A swept runbook's steps ran at once with the others': not part of the path.
        func swept(_ step: String) -> Bool { step.split(separator: "/").first.map { session.swept.contains(String($0)) } ?? false }
        let path = records.compactMap { r -> String? in
            if case .stepEnded(let step, .diagnose, _, _) = r, !swept(step) { return step }
            return nil
        }
        if let expected = c.expectedPath, expected != path {
            out.append("path: expected \(expected.joined(separator: " → ")), got \(path.joined(separator: " → "))")
        }
        var reported: [String] = []
        var messages: [String: String] = [:]
        // A finding a sweep found twice is reported once.
        let kept = Set(session.findings.map(\.id))
        for r in records {
            // What the walk found; a verify step's findings are judged through its fix's fate.
            guard case .stepEnded(_, let purpose, _, let findings) = r, purpose == .diagnose || purpose == .recheck else { continue }
            for f in findings where f.severity != .info && f.state == .open && !c.ignored.contains(f.id) && kept.contains(f.id) {
                if !reported.contains(f.id) { reported.append(f.id) }
                messages[f.id] = f.message
            }
        }
        if let expected = c.expectedFindings, Set(expected) != Set(reported) {
            let missing = Set(expected).subtracting(reported).sorted(), extra = Set(reported).subtracting(expected).sorted()
            out.append(
                "findings: "
                    + [
                        missing.isEmpty ? nil : "missing \(missing.joined(separator: ", "))",
                        extra.isEmpty ? nil : "unexpected \(extra.joined(separator: ", "))",
                    ].compactMap { $0 }.joined(separator: "; "))
        }
        for (id, expected) in c.expectedMessages.sorted(by: { $0.key < $1.key }) {
            guard let got = messages[id] else { out.append("message of \(id): not reported"); continue }
            if normalize(got) != normalize(expected) {
                out.append("message of \(id): expected \"\(normalize(expected))\", got \"\(normalize(got))\"")
            }
        }
        let causes = labCauses(session, ignoring: c.ignored)
        let start = causes.first.flatMap { id in session.findings.first { $0.id == id }?.runbook }
        if let expected = c.expectedStart, expected != start {
            out.append("start_with: expected \(expected), got \(start ?? "nothing")")
        }
        if let expected = c.expectedCauses, Set(expected) != Set(causes) {
            out.append("causes: expected \(expected.sorted().joined(separator: ", ")), got \(causes.joined(separator: ", "))")
        }
        for (id, expected) in c.expectedRemediations.sorted(by: { $0.key < $1.key }) {
            let report = session.remediations[id]
            let got: String
            if let report {
                got = report.verified ? "verified" : (report.applied ? "applied" : "declined")
            } else {
                got = "not-offered"
            }
            if got != expected { out.append("remediation \(id): expected \(expected), got \(got)") }
        }
        return out
    }
}
