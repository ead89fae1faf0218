import Foundation

extension TranscriptRendering {
    /// `{"header": ..., "summary": ..., "events": [...]}`; events as written
    /// (a chain of resumed transcripts: as read, each file's in turn).
    public static func json(_ t: Transcript, raw: Data, integrity: [Integrity] = []) -> String {
        if !t.earlier.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            func text(_ value: some Encodable) -> String {
                (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            }
            let summary = text(SummaryJSON(TranscriptSummary(t), truncatedBytes: t.truncatedBytes))
            let checked = integrity.isEmpty ? "" : ",\"integrity\":" + text(integrity)
            return
                "{\"header\":\(text(t.header)),\"summary\":\(summary),\"events\":[\(t.entries.map(text).joined(separator: ","))]\(checked)}\n"
        }
        var lines = raw.split(separator: 0x0A, omittingEmptySubsequences: true)
        if t.truncatedBytes > 0, !lines.isEmpty { lines.removeLast() }
        let header = lines.first.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        // The seal closes the events; it is given on its own.
        let isSeal = t.sealed && lines.count > 1 && String(decoding: lines[lines.count - 1], as: UTF8.self).contains(#""type":"seal""#)
        let seal = isSeal ? lines.popLast().map { String(decoding: $0, as: UTF8.self) } : nil
        let events = lines.dropFirst().enumerated().filter { !t.unreadableLines.contains($0.offset + 2) }.map {
            String(decoding: $0.element, as: UTF8.self)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let summary =
            (try? encoder.encode(SummaryJSON(TranscriptSummary(t), truncatedBytes: t.truncatedBytes)))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let sealed = seal.map { ",\"seal\":\($0)" } ?? ""
        let checked =
            integrity.isEmpty
            ? "" : ",\"integrity\":" + String(decoding: (try? encoder.encode(integrity)) ?? Data("[]".utf8), as: UTF8.self)
        return "{\"header\":\(header),\"summary\":\(summary),\"events\":[\(events.joined(separator: ","))]\(sealed)\(checked)}\n"
    }

    /// The summary as the JSON export shows it.
    private struct SummaryJSON: Encodable {
        let summary: TranscriptSummary
        let truncatedBytes: Int

        init(_ summary: TranscriptSummary, truncatedBytes: Int) {
            self.summary = summary
            self.truncatedBytes = truncatedBytes
        }

        struct RemediationJSON: Encodable {
            let line: TranscriptSummary.RemediationLine
            enum CodingKeys: String, CodingKey {
                case id, risk, decision, by, applied, refused, verified
                case approvedBy = "approved_by"
            }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(line.id, forKey: .id)
                try c.encode(line.risk, forKey: .risk)
                try c.encode(line.decision.rawValue, forKey: .decision)
                try c.encode(line.decidedBy, forKey: .by)
                try c.encode(line.applied, forKey: .applied)
                try c.encodeIfPresent(line.refused, forKey: .refused)
                if !line.approvals.isEmpty {
                    try c.encode(line.approvals.map { ["principal": $0.principal, "approved_at": $0.at] }, forKey: .approvedBy)
                }
                try c.encode(line.verified, forKey: .verified)
            }
        }

        enum CodingKeys: String, CodingKey {
            case runbooks, outcome, started, ended, findings, remediations, notes
            case truncatedBytes = "truncated_bytes"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(summary.runbooks, forKey: .runbooks)
            try c.encode(summary.outcome ?? .unknown, forKey: .outcome)
            try c.encode(summary.started ?? "", forKey: .started)
            try c.encode(summary.ended, forKey: .ended)
            try c.encode(summary.findings, forKey: .findings)
            try c.encode(summary.remediations.map(RemediationJSON.init), forKey: .remediations)
            try c.encode(summary.notes.map(\.text), forKey: .notes)
            try c.encode(truncatedBytes, forKey: .truncatedBytes)
        }
    }
}
