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
        lines.append("started \(h.started ?? "?") by \(h.user ?? "?") on \(h.host ?? "?") (rbsh \(h.rbshVersion ?? "?"), \(h.command ?? "?"))")
        if let targets = h.targets {
            lines.append("targets: " + targets.keys.sorted().map { "\($0) \(targets[$0] ?? "")" }.joined(separator: " · "))
        }
        for e in t.events {
            guard let line = describe(e) else { continue }
            lines.append(String(format: "%9.3fs  ", (e.monoMilliseconds ?? 0) / 1000) + line)
        }
        if t.truncatedBytes > 0 { lines.append("(the last line, \(t.truncatedBytes) bytes, was cut short when the session ended and is left out)") }
        if !t.unreadableLines.isEmpty { lines.append("(unreadable lines left out: \(t.unreadableLines.map(String.init).joined(separator: ", ")))") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func describe(_ e: TranscriptEvent) -> String? {
        switch e.type {
        case "session_start": return "session started (\(e.mode ?? "?"))"
        case "session_end": return "session ended: \(e.status ?? "?")"
        case "runbook_start": return "runbook \(e.runbook ?? "?") — \(e.title ?? "")"
        case "runbook_end": return "runbook \(e.runbook ?? "?") ended: \(e.status ?? "?")"
        case "step_start":
            let first = (e.detail ?? "").split(separator: "\n").first.map(String.init) ?? ""
            return "▶ \(e.step ?? "?") [\(e.kind ?? "?")\(e.purpose.map { $0 == "diagnose" ? "" : ", \($0)" } ?? "")] \(first)"
        case "step_end":
            var s = "■ \(e.step ?? "?") \(e.status ?? "?") (\(Int(e.durationMilliseconds ?? 0)) ms)"
            if let error = e.error, e.status != "ok" { s += ": \(error)" }
            for f in e.findings ?? [] { s += "\n             \(f.severity.uppercased()) \(f.id): \(f.message)" }
            return s
        case "question": return "? \(e.text ?? "")" + ((e.choices ?? []).isEmpty ? "" : " [\((e.choices ?? []).joined(separator: " | "))]")
        case "answer": return "  answer \(e.value ?? "") (\(e.by ?? "?"))"
        case "input": return "input \(e.name ?? "?") = \(e.value ?? "") (\(e.by ?? "?"))"
        case "remediation_offered": return "fix offered: \(e.remediation ?? "?") [\(e.risk ?? "?")]"
        case "remediation_confirmed": return "fix confirmed: \(e.remediation ?? "?") by \(e.by ?? "?")"
        case "remediation_declined": return "fix declined: \(e.remediation ?? "?") by \(e.by ?? "?")\(e.reason.map { ": \($0)" } ?? "")"
        case "remediation_applied": return "fix applied: \(e.remediation ?? "?"): \(e.status ?? "?")"
        case "remediation_verified":
            return "fix verified: \(e.remediation ?? "?"): " + (e.verified == true ? "fixed" : "still open: \((e.stillOpen ?? []).joined(separator: ", "))")
        case "note": return "note: \(e.text ?? "")"
        case "interrupt": return "interrupted (Ctrl-C)\(e.step.map { " during \($0)" } ?? "")"
        case "set": return "set \(e.name ?? "?")=\(e.value ?? "")"
        case "target": return "target \(e.name ?? "?") → \(e.url ?? "")"
        default: return e.type
        }
    }

    // MARK: - Markdown

    /// A postmortem draft: summary, findings, remediations, timeline, notes, outputs.
    public static func markdown(_ t: Transcript) -> String {
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
        if let targets = h.targets {
            md.append("| Targets | \(cell(targets.keys.sorted().map { "\($0): \(targets[$0] ?? "")" }.joined(separator: "; "))) |")
        }
        md.append("| Outcome | **\(cell((s.outcome ?? "unknown").uppercased()))**, \(s.findings.filter { $0.state == "open" }.count) finding(s) still open |")
        md.append("| Steps | \(s.stepCount) run\(s.interrupts > 0 ? ", \(s.interrupts) interrupted" : "") |")
        md.append("")
        md.append("## Findings")
        md.append("")
        if s.findings.isEmpty {
            md.append("None.")
        } else {
            md.append("| Severity | Finding | State | Step | Message |")
            md.append("|---|---|---|---|---|")
            let order = ["critical": 0, "warning": 1, "info": 2]
            for f in s.findings.sorted(by: { (order[$0.severity] ?? 3) < (order[$1.severity] ?? 3) }) {
                md.append("| \(f.severity) | `\(f.id)` | \(f.state) | `\(f.step)` | \(cell(f.message)) |")
            }
        }
        md.append("")
        md.append("## Remediations")
        md.append("")
        if s.remediations.isEmpty {
            md.append("None offered.")
        } else {
            for r in s.remediations {
                var line = "- **`\(r.id)`** (\(r.risk)): \(r.decision)"
                if let by = r.decidedBy { line += " by \(by)" }
                if let reason = r.reason { line += " (\(reason))" }
                if let applied = r.applied { line += "; applied: \(applied)" }
                if let v = r.verified { line += v ? "; **verified fixed**" : "; **not fixed**, still open: \(r.stillOpen.joined(separator: ", "))" }
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
        for e in t.events {
            guard let d = describe(e), e.type != "step_start" else { continue }
            let time = (e.time ?? "").split(separator: "T").last.map { String($0.prefix(12)) } ?? ""
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
        for e in t.events where e.type == "step_end" && !(e.output ?? "").isEmpty {
            md.append("<details><summary><code>\(e.step ?? "?")</code>: \(e.status ?? "?")\(e.purpose.map { $0 == "diagnose" ? "" : " (\($0))" } ?? "")</summary>")
            md.append("")
            md.append(fence(e.output ?? ""))
            if let elided = e.outputElidedBytes { md.append("\n\(elided) bytes elided from the middle.") }
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

    // MARK: - JSON

    /// `{"header": ..., "summary": ..., "events": [...]}`; events as written.
    public static func json(_ t: Transcript, raw: Data) -> String {
        let s = TranscriptSummary(t)
        let summary: [String: Any] = [
            "runbooks": s.runbooks, "outcome": s.outcome ?? "unknown", "started": s.started ?? "", "ended": s.ended ?? NSNull(),
            "findings": s.findings.map { ["id": $0.id, "severity": $0.severity, "message": $0.message, "step": $0.step, "state": $0.state] as [String: Any] },
            "remediations": s.remediations.map { r -> [String: Any] in
                ["id": r.id, "risk": r.risk, "decision": r.decision, "by": r.decidedBy ?? NSNull(), "applied": r.applied ?? NSNull(),
                 "verified": r.verified ?? NSNull()]
            },
            "notes": s.notes.map(\.text), "truncated_bytes": t.truncatedBytes,
        ]
        var lines = raw.split(separator: 0x0A, omittingEmptySubsequences: true)
        if t.truncatedBytes > 0, !lines.isEmpty { lines.removeLast() }
        let header = lines.first.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let events = lines.dropFirst().enumerated().filter { !t.unreadableLines.contains($0.offset + 2) }.map { String(decoding: $0.element, as: UTF8.self) }
        let summaryText = (try? JSONText.encode(summary)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "{\"header\":\(header),\"summary\":\(summaryText),\"events\":[\(events.joined(separator: ","))]}\n"
    }
}
