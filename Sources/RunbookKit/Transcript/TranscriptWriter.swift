import Foundation
import OutputCapture

/// Appends a session's events to a JSON Lines file, each flushed to disk
/// (fsync) as it happens, so a killed shell loses at most the event being
/// written. Every string is redacted before it reaches the file.
///
/// Each line after the header carries the hash of the line before it, and
/// the session's end is followed by a seal (`TranscriptChain`), signed when
/// a signer is given: nothing is written after it.
///
/// A write that fails (a full disk, an I/O error, a read-only file system)
/// is cut back off the file, so it parses up to the failure, and every write
/// after it fails too: nothing is recorded out of order. `continuing(at:)`
/// copies what was recorded to another file and goes on there.
public final class TranscriptWriter: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let redactor: Redactor
    /// Guards the encoder, the clock and the file: concurrent steps record from their own threads.
    private let lock = NSLock()
    private let encoder: JSONEncoder
    private let started: ContinuousClock.Instant
    /// RFC 3339 with milliseconds, UTC (FoundationEssentials' own, not the ICU-backed ISO8601DateFormatter).
    private let clock = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    /// Output kept per step, head and tail.
    public let outputCap: Int
    /// Bytes written, whole lines.
    private var committed: Int = 0
    /// Bytes known to be on disk (synced); those after it were written unsynced.
    private var synced: Int = 0
    /// How many times the file was synced, and whether everything written is on disk (for tests).
    private(set) var syncCount = 0
    var isSynced: Bool {
        lock.lock()
        defer { lock.unlock() }
        return synced == committed
    }
    /// The write that failed; every later one fails with it.
    private var failed: TranscriptError?
    /// A device (/dev/null): nothing to cut back or sync.
    private let isDevice: Bool
    /// The transcript's id (its header's), which its seal and approvals name.
    public private(set) var id: String = ""
    /// Signs the seal; without one, or when it fails, the seal is hash-only.
    public var signer: (any TranscriptSigner)?
    /// The hash of the last line written and its number (the header is 0), and
    /// the same at the last sync: a write that fails is cut back to there.
    private var chain: (prev: String, seq: Int)?
    private var syncedChain: (prev: String, seq: Int)?
    /// The seal was written: nothing more is.
    private var sealed = false

    /// The hash of the last whole line written, and how many lines there are.
    public var head: (sha256: String, lines: Int)? {
        lock.lock()
        defer { lock.unlock() }
        return chain.map { ($0.prev, $0.seq + 1) }
    }

    public convenience init(path: String, redactor: Redactor, outputCap: Int = 64 << 10, header: TranscriptHeader) throws(TranscriptError) {
        try self.init(opening: path, redactor: redactor, outputCap: outputCap, started: .now)
        var head = header
        head.format = TranscriptHeader.format
        head.version = TranscriptHeader.version
        head.started = clock.format(Date())
        if head.id == nil { head.id = UUID().uuidString.lowercased() }
        id = head.id ?? ""
        if let targets = head.targets { head.targets = targets.mapValues(redactor.redact) }
        try append(head)
    }

    /// Opens `path` for a transcript of its own: never a file that exists (a device may be written to).
    private init(opening path: String, redactor: Redactor, outputCap: Int, started: ContinuousClock.Instant) throws(TranscriptError) {
        self.path = path
        self.redactor = redactor
        self.outputCap = outputCap
        self.started = started
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw TranscriptError("cannot make the folder \(dir) for the transcript: \(error.localizedDescription)")
            }
        }
        // A transcript is one session: never appended to another one.
        var st = stat()
        isDevice = stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (isDevice ? 0 : O_EXCL), 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw TranscriptError("the transcript \(path) already exists; give another path", alreadyExists: true) }
            throw TranscriptError("cannot write the transcript \(path): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    deinit { close(fd) }

    /// The same session, recorded from now on at `newPath`: what this
    /// transcript holds is copied there first, and its times go on.
    public func continuing(at newPath: String) throws(TranscriptError) -> TranscriptWriter {
        let next = try TranscriptWriter(opening: newPath, redactor: redactor, outputCap: outputCap, started: started)
        lock.lock()
        let length = committed
        next.id = id
        next.signer = signer
        next.chain = chain
        next.syncedChain = chain
        lock.unlock()
        guard let handle = FileHandle(forReadingAtPath: path) else { throw TranscriptError("cannot read \(path) to copy it") }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: length) ?? Data() } catch {
            throw TranscriptError("cannot read \(path) to copy it: \(error)")
        }
        try next.appendRaw(data)
        return next
    }

    /// Writes one event, redacted, with wall-clock and monotonic times. A
    /// step's output is kept up to the cap, head and tail; its table is not
    /// written (its rows are in the output).
    ///
    /// With `sync` (the default) it is on disk when this returns, with every
    /// event before it. Without, it is written (a killed process loses
    /// nothing written) and synced with the next event that is: an event
    /// need not wait for the disk while nothing of it is shown.
    public func write(_ event: TranscriptEvent, sync: Bool = true) throws(TranscriptError) {
        var event = event
        if case .stepEnded(let step, let purpose, var result, let findings) = event {
            if !result.output.isEmpty {
                var capture = BoundedCapture(limit: outputCap)
                capture.append(Array(result.output.text.utf8))
                let kept = capture.captured
                result.output = CapturedOutput(text: kept.text, elidedBytes: result.output.elidedBytes + kept.elidedBytes)
            }
            result.values = result.values.filter { !$0.key.hasPrefix("header.") }
            event = .stepEnded(step: step, purpose: purpose, result: result, findings: findings)
        }
        let clean = event.redacted(redactor.redact)
        lock.lock()
        let time = clock.format(Date())
        lock.unlock()
        try append(TranscriptEntry(time: time, monoMilliseconds: (ContinuousClock.now - started).milliseconds, event: clean), sync: sync)
        if case .sessionEnded = event { try seal() }
    }

    /// Writes the seal after the session's end: signed by `signer` when it can, else hash-only, saying why.
    private func seal() throws(TranscriptError) {
        lock.lock()
        let chain = self.chain
        let id = self.id
        lock.unlock()
        guard let chain, !isDevice else { return }
        var signature: SealSignature?
        var unsigned: String?
        if let signer {
            let message = TranscriptChain.sealMessage(id: id, lines: chain.seq + 1, last: chain.prev)
            do { signature = try signer.sign(message, namespace: TranscriptChain.sealNamespace) } catch {
                unsigned = "\(error)"
            }
        }
        lock.lock()
        defer { lock.unlock() }
        if let failed { throw failed }
        let time = clock.format(Date())
        var line = TranscriptChain.seal(
            id: id, prev: chain.prev, seq: chain.seq + 1, time: time, signature: signature, unsigned: unsigned)
        let hash = TranscriptChain.hash(line)
        line.append(0x0A)
        try writeLocked(line, sync: true, chained: (hash, chain.seq + 1))
        sealed = true
    }

    /// Puts every event written so far on disk.
    public func sync() throws(TranscriptError) {
        lock.lock()
        defer { lock.unlock() }
        if let failed { throw failed }
        try writeLocked(Data(), sync: true)
    }

    private func append(_ line: some Encodable, sync: Bool = true) throws(TranscriptError) {
        lock.lock()
        defer { lock.unlock() }
        if let failed { throw failed }
        if sealed { throw TranscriptError("the transcript \(path) is sealed; nothing is written after its end") }
        var data: Data
        do { data = try encoder.encode(line) } catch { throw TranscriptError("an event could not be written as JSON: \(error)") }
        if let chain { data = TranscriptChain.link(data, prev: chain.prev, seq: chain.seq + 1) }
        let linked = (TranscriptChain.hash(data), (chain?.seq).map { $0 + 1 } ?? 0)
        data.append(0x0A)
        try writeLocked(data, sync: sync, chained: linked)
    }

    private func appendRaw(_ data: Data) throws(TranscriptError) {
        lock.lock()
        defer { lock.unlock() }
        try writeLocked(data)
    }

    /// Writes (and syncs) `data`, or cuts the file back to what is known to
    /// be on disk, whole lines, and fails for good. Events cut back were
    /// never shown: anything shown was synced first.
    private func writeLocked(_ data: Data, sync: Bool = true, chained: (prev: String, seq: Int)? = nil) throws(TranscriptError) {
        let written = data.withUnsafeBytes { raw -> Bool in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress.map { $0 + done }, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
        // A device cannot be synced (EINVAL); a file that cannot be has not been written.
        let needsSync = sync && !isDevice && synced < committed + data.count
        guard written, !needsSync || fsync(fd) == 0 else {
            let error = TranscriptError("writing the transcript \(path) failed: \(String(cString: strerror(errno)))")
            if !isDevice { _ = ftruncate(fd, off_t(synced)) }
            committed = synced
            chain = syncedChain
            failed = error
            throw error
        }
        committed += data.count
        if let chained { chain = chained }
        if needsSync { syncCount += 1 }
        if sync {
            synced = committed
            syncedChain = chain
        }
    }

    /// A new transcript with the default name for `runbook` (`defaultPath`),
    /// or, when another session took that name in the same second (a cron
    /// job, an alert burst, two operators), the same name with `-2`, `-3`...:
    /// each open is exclusive, so no two sessions ever share a file.
    public static func unique(
        runbook: String, directory: String = "transcripts", date: Date = Date(), redactor: Redactor, header: TranscriptHeader
    ) throws(TranscriptError) -> TranscriptWriter {
        let base = String(defaultPath(runbook: runbook, directory: directory, date: date).dropLast(".jsonl".count))
        for n in 1...10_000 {
            do {
                return try TranscriptWriter(path: n == 1 ? base + ".jsonl" : "\(base)-\(n).jsonl", redactor: redactor, header: header)
            } catch  where error.alreadyExists {
                continue
            }
        }
        throw TranscriptError("no free transcript name for \(base).jsonl")
    }

    /// `transcripts/20261126-231502-db-connection-failure.jsonl`.
    /// The time is UTC, from the C library (a DateFormatter would load ICU's calendars and time zones).
    public static func defaultPath(runbook: String, directory: String = "transcripts", date: Date = Date()) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var t = tm()
        gmtime_r(&seconds, &t)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let stamp = "\(t.tm_year + 1900)\(two(t.tm_mon + 1))\(two(t.tm_mday))-\(two(t.tm_hour))\(two(t.tm_min))\(two(t.tm_sec))"
        return "\(directory)/\(stamp)-\(runbook).jsonl"
    }
}

public struct TranscriptError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// The path was taken: a transcript is never written into another.
    public var alreadyExists: Bool
    public init(_ description: String, alreadyExists: Bool = false) {
        self.description = description
        self.alreadyExists = alreadyExists
    }
}
