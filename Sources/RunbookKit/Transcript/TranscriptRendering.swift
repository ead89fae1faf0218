import Foundation

/// Transcripts for people: a timeline for the terminal, a postmortem draft
/// in Markdown, and JSON for tools.
public enum TranscriptRendering {
    // MARK: - Timeline

    /// One line an event, with the time since the session began.
    public static func timeline(_ t: Transcript) -> String {
        var lines: [String] = []
        let h = t.header
        lines.append("rbsh transcript \(t.path)")
        lines.append(
            "started \(h.started ?? "?") by \(h.user ?? "?") on \(h.host ?? "?") (rbsh \(h.rbshVersion ?? "?"), \(h.command ?? "?"))")
        if let targets = h.targets {
            lines.append("targets: " + targets.keys.sorted().map { "\($0) \(targets[$0] ?? "")" }.joined(separator: " · "))
        }
        if !t.earlier.isEmpty {
            lines.append("one session in \(t.earlier.count + 1) transcripts: " + (t.earlier + [t.path]).joined(separator: " → "))
        }
        for entry in t.entries {
            guard let line = describe(entry.event) else { continue }
            lines.append(String(format: "%9.3fs  ", (entry.monoMilliseconds ?? 0) / 1000) + line)
        }
        if t.truncatedBytes > 0 {
            lines.append("(the last line, \(t.truncatedBytes) bytes, was cut short when the session ended and is left out)")
        }
        if !t.unreadableLines.isEmpty {
            lines.append("(unreadable lines left out: \(t.unreadableLines.map(String.init).joined(separator: ", ")))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func describe(_ event: TranscriptEvent) -> String? {
        switch event {
        case .sessionStarted(let s): return "session started (\(s.mode))"
        case .sessionEnded(let status, let reason): return "session ended: \(status.rawValue)" + (reason.map { " (\($0))" } ?? "")
        case .runbookStarted(let id, let title, _): return "runbook \(id) — \(title)"
        case .runbookEnded(let id, let status): return "runbook \(id) ended: \(status.rawValue)"
        case .stepStarted(let step, _, let kind, let purpose, let detail):
            let first = detail.split(separator: "\n").first.map(String.init) ?? ""
            return "▶ \(step) [\(kind)\(purpose == .diagnose ? "" : ", \(purpose.label)")] \(first)"
        case .stepEnded(let step, _, let result, let findings):
            var s = "■ \(step) \(result.status.rawValue) (\(Int(result.durationMilliseconds)) ms)"
            if let error = result.error, result.status != .ok { s += ": \(error)" }
            for f in findings { s += "\n             " + f.line() }
            return s
        case .question(_, let text, let choices): return "? \(text)" + (choices.isEmpty ? "" : " [\(choices.joined(separator: " | "))]")
        case .answer(_, let value, let by): return "  answer \(value) (\(by.rawValue))"
        case .input(let name, let value, let by): return "input \(name) = \(value) (\(by.rawValue))"
        case .remediationOffered(let id, let risk, _, _): return "fix offered: \(id) [\(risk.rawValue)]"
        case .remediationDecision(let id, true, let by, _): return "fix confirmed: \(id) by \(by.rawValue)"
        case .remediationDecision(let id, false, let by, let reason):
            return "fix declined: \(id) by \(by.rawValue)\(reason.map { ": \($0)" } ?? "")"
        case .remediationApplied(let id, let status): return "fix applied: \(id): \(status.rawValue)"
        case .remediationRefused(let id, let reason): return "fix refused: \(id): \(reason)"
        case .approval(let a): return a.line
        case .remediationVerified(let id, let verified, let stillOpen):
            return "fix verified: \(id): " + (verified ? "fixed" : "still open: \(stillOpen.joined(separator: ", "))")
        case .diagnosis(_, let d): return "diagnosis: " + d.sentence
        case .note(let text): return "note: \(text)"
        case .interrupted(let step, let signal):
            let by = signal.map { $0 == "SIGINT" ? "Ctrl-C" : $0 } ?? "Ctrl-C"
            return "interrupted (\(by))\(step.map { " during \($0)" } ?? "")"
        case .variableSet(let name, let value): return "set \(name)=\(value)"
        case .targetChanged(let name, let url): return "target \(name) → \(url)"
        case .onHost(let host, let event): return describe(event).map { "[\(host)] \($0)" }
        case .unrecognized(let type): return type
        }
    }

    // MARK: - Markdown

    /// A postmortem draft: summary, diagnosis, what past sessions said of
    /// its causes (`seenBefore`: a cause and its line, from the incident
    /// memory), findings, remediations, timeline, notes, outputs.
    /// Whether one transcript of a session verified (`rbsh transcript verify`'s line).
    public struct Integrity: Sendable, Encodable {
        public var transcript: String
        public var result: String
        public var verified: Bool
        public init(transcript: String, result: String, verified: Bool) {
            self.transcript = transcript
            self.result = result
            self.verified = verified
        }
    }

    public static func markdown(_ t: Transcript, seenBefore: [(cause: String, line: String)] = [], integrity: [Integrity] = []) -> String {
        let s = TranscriptSummary(t)
        let h = t.header
        var md: [String] = []
        let subject = s.runbooks.isEmpty ? "rbsh session" : s.runbooks.joined(separator: ", ")
        md.append("# Postmortem draft: \(subject)")
        md.append("")
        md.append("## Summary")
        md.append("")
        md.append("| | |")
        md.append("|---|---|")
        md.append("| Operator | \(cell(h.user ?? "?")) on \(cell(h.host ?? "?")) |")
        md.append("| Started | \(cell(h.started ?? "?")) |")
        md.append("| Ended | \(cell(s.ended ?? "(not recorded: the session did not end cleanly)")) |")
        md.append("| Runbooks | \(cell(s.runbooks.joined(separator: ", "))) |")
        if !t.earlier.isEmpty { md.append("| Transcripts | \(cell((t.earlier + [t.path]).joined(separator: " → "))) (resumed) |") }
        if let targets = h.targets {
            md.append("| Targets | \(cell(targets.keys.sorted().map { "\($0): \(targets[$0] ?? "")" }.joined(separator: "; "))) |")
        }
        md.append("| Outcome | **\(cell((s.outcome ?? .unknown).rawValue.uppercased()))**, \(s.open.count) finding(s) still open |")
        md.append("| Steps | \(s.stepCount) run\(s.interrupts > 0 ? ", \(s.interrupts) interrupted" : "") |")
        for check in integrity {
            md.append("| Integrity | \(check.verified ? "" : "**not verified**: ")\(cell(check.transcript)): \(cell(check.result)) |")
        }
        md.append("")
        if !s.hosts.isEmpty {
            md.append("## Hosts")
            md.append("")
            md.append("| Host | Status | Steps | Open findings |")
            md.append("|---|---|---|---|")
            for line in s.hosts.sorted(by: { $0.host < $1.host }) {
                md.append(
                    "| \(cell(line.host)) | \(line.status) | \(line.steps) | \(line.findings.isEmpty ? "none" : line.findings.map { "`\($0)`" }.joined(separator: ", ")) |"
                )
            }
            md.append("")
        }
        if let d = s.diagnosis {
            md.append("## Diagnosis")
            md.append("")
            md.append(d.startWith.map { "Start with **`\($0)`**." } ?? "Nothing above info was found.")
            if !d.causes.isEmpty { md.append("") }
            for (i, c) in d.causes.enumerated() {
                md.append(
                    "\(i + 1). `\(c.finding)`"
                        + (c.explains.isEmpty ? "" : ", which explains " + c.explains.map { "`\($0)`" }.joined(separator: ", ")))
            }
            md.append("")
        }
        if !seenBefore.isEmpty {
            md.append("## Seen before")
            md.append("")
            for (cause, line) in seenBefore { md.append("- `\(cause)`: \(cell(line))") }
            md.append("")
        }
        md.append("## Findings")
        md.append("")
        if s.findings.isEmpty {
            md.append("None.")
        } else {
            let onHosts = !s.hosts.isEmpty
            md.append("| Severity | Finding | State | \(onHosts ? "Host | " : "")Step | Message |")
            md.append("|---|---|---|\(onHosts ? "---|" : "")---|---|")
            for f in s.findings.sorted(by: { $0.severity > $1.severity }) {
                let host = onHosts ? "\(cell(f.host ?? "(here)")) | " : ""
                md.append("| \(f.level) | `\(f.id)` | \(f.state.rawValue) | \(host)`\(f.step)` | \(cell(f.message)) |")
            }
        }
        md.append("")
        md.append("## Remediations")
        md.append("")
        if s.remediations.isEmpty {
            md.append("None offered.")
        } else {
            for r in s.remediations {
                var line = "- **`\(r.id)`**\(r.host.map { " on \($0)" } ?? "") (\(r.risk.rawValue)): \(r.decision.rawValue)"
                if let by = r.decidedBy { line += " by \(by.rawValue)" }
                if let reason = r.reason { line += " (\(reason))" }
                if !r.approvals.isEmpty {
                    line += "; **approved by** " + r.approvals.map { "\($0.principal) at \($0.at)" }.joined(separator: ", ")
                }
                if let refused = r.refused { line += "; **refused before it acted**: \(refused)" }
                if let applied = r.applied { line += "; applied: \(applied.rawValue)" }
                if let v = r.verified {
                    line += v ? "; **verified fixed**" : "; **not fixed**, still open: \(r.stillOpen.joined(separator: ", "))"
                }
                md.append(line)
                if !r.detail.isEmpty {
                    md.append("")
                    md.append(fence(r.detail, indent: "  "))
                }
            }
        }
        md.append("")
        md.append("## Timeline")
        md.append("")
        for entry in t.entries {
            if case .stepStarted = entry.event { continue }
            guard let d = describe(entry.event) else { continue }
            let time = (entry.time ?? "").split(separator: "T").last.map { String($0.prefix(12)) } ?? ""
            md.append("- `\(time)` " + d.replacingOccurrences(of: "\n             ", with: "<br>"))
        }
        if t.truncatedBytes > 0 { md.append("- (the transcript ends mid-event: the session was cut short)") }
        md.append("")
        md.append("## Notes")
        md.append("")
        if s.notes.isEmpty { md.append("None.") } else { for n in s.notes { md.append("- \(n.text) _(\(n.time))_") } }
        md.append("")
        md.append("## Outputs")
        md.append("")
        for case .stepEnded(let step, let purpose, let result, _) in t.events where !result.output.text.isEmpty {
            md.append(
                "<details><summary><code>\(step)</code>: \(result.status.rawValue)\(purpose == .diagnose ? "" : " (\(purpose.label))")</summary>"
            )
            md.append("")
            md.append(fence(result.output.text))
            if result.output.elidedBytes > 0 { md.append("\n\(result.output.elidedBytes) bytes elided from the middle.") }
            md.append("")
            md.append("</details>")
            md.append("")
        }
        return md.joined(separator: "\n") + "\n"
    }

    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// A fenced block long enough that the text cannot close it.
    static func fence(_ text: String, indent: String = "") -> String {
        var ticks = "```"
        while text.contains(ticks) { ticks += "`" }
        return ([indent + ticks] + text.split(separator: "\n", omittingEmptySubsequences: false).map { indent + $0 } + [indent + ticks])
            .joined(separator: "\n")
    }
}
