import Foundation

/// Appends a session's events to a JSON Lines file, each flushed to disk
/// (fsync) as it happens, so a killed shell loses at most the event being
/// written. Every string is redacted before it reaches the file.
public final class TranscriptWriter: @unchecked Sendable {
    public static let format = "rbsh-transcript"
    public static let version = 1

    public let path: String
    private let fd: Int32
    private let redactor: Redactor
    private let lock = NSLock()
    private let started = ContinuousClock.now
    private let clock = ISO8601DateFormatter()
    /// Output kept per step, head and tail.
    public let outputCap: Int

    public init(path: String, redactor: Redactor, outputCap: Int = 64 << 10, header: [String: Any]) throws {
        self.path = path
        self.redactor = redactor
        self.outputCap = outputCap
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        // A transcript is one session: never appended to another one.
        var st = stat()
        let isDevice = stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (isDevice ? 0 : O_EXCL), 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw TranscriptError("the transcript \(path) already exists; give another path") }
            throw TranscriptError("cannot write the transcript \(path): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        clock.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var head = header
        head["format"] = Self.format
        head["version"] = Self.version
        head["started"] = Self.timestamp(Date())
        try write(head)
    }

    deinit { close(fd) }

    /// Writes one event: `type` plus its fields, with wall-clock and
    /// monotonic times.
    public func event(_ type: String, _ fields: [String: Any] = [:]) throws {
        var e = fields
        e["type"] = type
        lock.lock()
        e["time"] = clock.string(from: Date())
        lock.unlock()
        let d = ContinuousClock.now - started
        e["mono_ms"] = (d.milliseconds).rounded()
        try write(e)
    }

    private func write(_ object: [String: Any]) throws {
        let clean = redact(object)
        var data: [UInt8]
        do { data = try JSONText.encode(clean) } catch { throw TranscriptError("an event could not be written as JSON: \(error)") }
        data.append(0x0A)
        lock.lock()
        defer { lock.unlock() }
        let ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return false }
                offset += n
            }
            return true
        }
        guard ok else { throw TranscriptError("writing the transcript failed: \(String(cString: strerror(errno)))") }
        fsync(fd)
    }

    private func redact(_ value: Any) -> Any {
        switch value {
        case let s as String: return redactor.redact(s)
        case let d as [String: Any]: return d.mapValues(redact)
        case let a as [Any]: return a.map(redact)
        default: return value
        }
    }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    /// `transcripts/20261126-231502-db-connection-failure.jsonl`.
    public static func defaultPath(runbook: String, directory: String = "transcripts", date: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return "\(directory)/\(f.string(from: date))-\(runbook).jsonl"
    }
}

public struct TranscriptError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension TranscriptWriter {
    /// Writes the engine's records as transcript events.
    public func write(_ record: SessionRecord) throws {
        switch record {
        case .runbookStarted(let id, let title):
            try event("runbook_start", ["runbook": id, "title": title])
        case .input(let name, let value, let by):
            try event("input", ["name": name, "value": value, "by": by.rawValue])
        case .stepStarted(let step, let title, let kind, let purpose, let detail):
            try event("step_start", ["step": step, "title": title, "kind": kind, "purpose": purpose.label, "detail": detail])
        case .stepEnded(let step, let purpose, let result, let findings):
            var fields: [String: Any] = [
                "step": step, "purpose": purpose.label, "status": result.status.rawValue,
                "duration_ms": result.durationMilliseconds.rounded(),
                "findings": findings.map(Self.findingObject),
            ]
            if let code = result.exitCode { fields["exit_code"] = Int(code) }
            if let error = result.error { fields["error"] = error }
            if !result.output.isEmpty {
                // Kept up to the transcript's own cap, head and tail, as the probe keeps its output.
                var capture = BoundedCapture(limit: outputCap)
                capture.append(Array(result.output.text.utf8))
                let kept = capture.captured
                fields["output"] = kept.text
                let elided = result.output.elidedBytes + kept.elidedBytes
                if elided > 0 { fields["output_elided_bytes"] = elided }
            }
            let values = result.values.filter { !$0.key.hasPrefix("header.") }
            if !values.isEmpty { fields["values"] = values.mapValues(Self.jsonValue) }
            try event("step_end", fields)
        case .question(let step, let text, let choices):
            try event("question", ["step": step, "text": text, "choices": choices])
        case .answer(let step, let value, let by):
            try event("answer", ["step": step, "value": value, "by": by.rawValue])
        case .remediationOffered(let id, let risk, let fixes, let detail):
            try event("remediation_offered", ["remediation": id, "risk": risk.rawValue, "fixes": fixes, "detail": detail])
        case .remediationDecision(let id, let confirmed, let by, let reason):
            var f: [String: Any] = ["remediation": id, "by": by.rawValue]
            if let reason { f["reason"] = reason }
            try event(confirmed ? "remediation_confirmed" : "remediation_declined", f)
        case .remediationApplied(let id, let status):
            try event("remediation_applied", ["remediation": id, "status": status.rawValue])
        case .remediationVerified(let id, let verified, let stillOpen):
            try event("remediation_verified", ["remediation": id, "verified": verified, "still_open": stillOpen])
        case .runbookEnded(let id, let status):
            try event("runbook_end", ["runbook": id, "status": status.rawValue])
        }
    }

    static func findingObject(_ f: Finding) -> [String: Any] {
        ["id": f.id, "severity": f.severity.rawValue, "message": f.message, "step": f.step, "state": f.state.rawValue]
    }

    static func jsonValue(_ v: Value) -> Any {
        switch v {
        case .number(let n): return n.isFinite ? n : String(n)
        case .string(let s): return s
        case .bool(let b): return b
        case .null: return NSNull()
        }
    }
}
