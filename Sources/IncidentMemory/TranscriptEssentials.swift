import Foundation

/// The lines of a transcript the memory reads: the header and the events
/// that say what was found and how it ended; not the steps' starts, nor the
/// ends of steps that found nothing, which hold nearly all of its bytes
/// (commands, outputs, tables). Lines are told apart by their `type` alone,
/// found by a byte search, before any JSON is parsed: the first `"type":"`
/// of a line is its own (the writer sorts keys; what comes before `type` is
/// text, where a quote is escaped, or findings, which have no `type`).
enum TranscriptEssentials {
    static let kept: Set<String> = [
        "session_start", "session_end", "runbook_start", "runbook_end", "diagnosis", "step_end", "remediation_offered",
        "remediation_confirmed", "remediation_declined", "remediation_applied", "remediation_refused", "remediation_verified",
    ]
    static let typeKey = Array(#""type":""#.utf8)
    static let findingsKey = Array(#""findings":"#.utf8)

    /// `data` with only the lines the memory reads (a last line cut short is kept as it is: the reader counts it).
    static func filter(_ data: Data) -> Data {
        var out = Data()
        out.reserveCapacity(data.count / 8)
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            let end = raw.count
            var start = 0
            var first = true
            while start < end {
                let rest = UnsafeRawPointer(base + start)
                let newline = memchr(rest, 0x0A, end - start).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? end
                let line = UnsafeRawBufferPointer(start: base + start, count: newline - start)
                if first || newline == end || keeps(line) {
                    out.append(base + start, count: min(newline + 1, end) - start)
                }
                first = false
                start = newline + 1
            }
        }
        return out
    }

    /// Whether a whole event line is one the memory reads.
    static func keeps(_ line: UnsafeRawBufferPointer) -> Bool {
        guard let type = value(after: typeKey, in: line) else { return true }
        guard kept.contains(type) else { return false }
        guard type == "step_end", let at = find(findingsKey, in: line) else { return true }
        let after = at + findingsKey.count
        // `"findings":[]`: the step found nothing.
        return !(after + 1 < line.count && line[after] == UInt8(ascii: "[") && line[after + 1] == UInt8(ascii: "]"))
    }

    /// The text of the first `KEY"…"` in `line`.
    static func value(after key: [UInt8], in line: UnsafeRawBufferPointer) -> String? {
        guard let at = find(key, in: line) else { return nil }
        let from = at + key.count
        guard let close = line[from...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: line[from..<close]), as: UTF8.self)
    }

    /// Where `needle` first starts in `line`: memchr to each candidate first byte, then a compare.
    static func find(_ needle: [UInt8], in line: UnsafeRawBufferPointer) -> Int? {
        guard let base = line.baseAddress, let head = needle.first, line.count >= needle.count else { return nil }
        var offset = 0
        let lastStart = line.count - needle.count
        while offset <= lastStart {
            guard let hit = memchr(base + offset, Int32(head), lastStart - offset + 1) else { return nil }
            let at = UnsafeRawPointer(hit) - base
            let same = needle.withUnsafeBytes { n in n.baseAddress.map { memcmp(base + at, $0, needle.count) == 0 } ?? false }
            if same { return at }
            offset = at + 1
        }
        return nil
    }
}
