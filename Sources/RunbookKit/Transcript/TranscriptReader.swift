import Foundation

/// One event of a transcript, as written: its type, times and fields.
public struct TranscriptEvent: Sendable, Decodable {
    public struct FindingRecord: Sendable, Decodable, Hashable {
        public var id: String
        public var severity: String
        public var message: String
        public var step: String
        public var state: String
    }

    public var type: String
    public var time: String?
    public var monoMilliseconds: Double?
    public var runbook: String?
    public var title: String?
    public var step: String?
    public var kind: String?
    public var purpose: String?
    public var detail: String?
    public var status: String?
    public var durationMilliseconds: Double?
    public var exitCode: Int?
    public var error: String?
    public var output: String?
    public var outputElidedBytes: Int?
    public var findings: [FindingRecord]?
    public var values: [String: Value]?
    public var text: String?
    public var choices: [String]?
    public var value: String?
    public var by: String?
    public var remediation: String?
    public var risk: String?
    public var fixes: [String]?
    public var reason: String?
    public var verified: Bool?
    public var stillOpen: [String]?
    public var mode: String?
    public var name: String?
    public var url: String?

    enum CodingKeys: String, CodingKey {
        case type, time, runbook, title, step, kind, purpose, detail, status, error, output, findings, values, text, choices
        case value, by, remediation, risk, fixes, reason, verified, mode, name, url
        case monoMilliseconds = "mono_ms", durationMilliseconds = "duration_ms", exitCode = "exit_code"
        case outputElidedBytes = "output_elided_bytes", stillOpen = "still_open"
    }
}

/// The first line of a transcript.
public struct TranscriptHeaderRecord: Sendable, Decodable {
    public var format: String
    public var version: Int
    public var started: String?
    public var user: String?
    public var host: String?
    public var command: String?
    public var runbook: String?
    public var targets: [String: String]?
    public var rbshVersion: String?

    enum CodingKeys: String, CodingKey {
        case format, version, started, user, host, command, runbook, targets
        case rbshVersion = "rbsh_version"
    }
}

/// A transcript read back: its header, its events, and what could not be read.
public struct Transcript: Sendable {
    public var path: String
    public var header: TranscriptHeaderRecord
    public var events: [TranscriptEvent]
    /// A last line cut short (the shell was killed while writing it): its size.
    public var truncatedBytes: Int
    /// Lines in the middle that were not events, by line number.
    public var unreadableLines: [Int]

    /// Reads a transcript; a truncated last line is dropped and counted, not an error.
    public static func read(path: String) throws(TranscriptError) -> Transcript {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TranscriptError("cannot read \(path)")
        }
        return try parse(data, path: path)
    }

    public static func parse(_ data: Data, path: String) throws(TranscriptError) -> Transcript {
        let decoder = JSONDecoder()
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        var truncated = 0
        // A file that does not end in a newline was cut while writing its last line.
        if let last = lines.last {
            if last.isEmpty { lines.removeLast() } else { truncated = last.count; lines.removeLast() }
        }
        guard let first = lines.first else {
            throw TranscriptError(truncated > 0 ? "\(path): the header was cut short; nothing to read" : "\(path) is empty")
        }
        let header: TranscriptHeaderRecord
        do { header = try decoder.decode(TranscriptHeaderRecord.self, from: Data(first)) } catch {
            throw TranscriptError("\(path): the first line is not an rbsh transcript header")
        }
        guard header.format == TranscriptWriter.format else { throw TranscriptError("\(path) is not an rbsh transcript") }
        guard header.version <= TranscriptWriter.version else {
            throw TranscriptError("\(path) is transcript version \(header.version); this rbsh reads up to \(TranscriptWriter.version)")
        }
        var events: [TranscriptEvent] = []
        events.reserveCapacity(lines.count)
        var unreadable: [Int] = []
        for (n, line) in lines.enumerated().dropFirst() {
            do { events.append(try decoder.decode(TranscriptEvent.self, from: Data(line))) } catch { unreadable.append(n + 1) }
        }
        return Transcript(path: path, header: header, events: events, truncatedBytes: truncated, unreadableLines: unreadable)
    }
}
