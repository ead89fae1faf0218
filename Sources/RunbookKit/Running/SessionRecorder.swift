import Foundation

/// Sees what a session does, to show it (text, JSON) as it happens.
public protocol SessionPresenter: AnyObject, Sendable {
    /// An event, once it is on disk.
    func present(_ event: TranscriptEvent)
    /// A running step's output as it comes; stream 1 is stdout, 2 stderr.
    func output(_ text: String, stream: Int32)
    /// A one-line notice that is not an event: "question skipped", say.
    func notice(_ text: String)
    /// Whether `present` shows anything of this event now: what is shown must
    /// be on disk first; what is not may wait for the next sync.
    func shows(_ event: TranscriptEvent) -> Bool
}

extension SessionPresenter {
    public func shows(_ event: TranscriptEvent) -> Bool { true }
}

/// Where a session's events go: the transcript first, then whoever shows
/// them, so whatever the operator saw done is on disk.
///
/// When an event cannot be written, it is not shown either, and neither is
/// anything after it: `failure` says why, the stepping loop runs nothing
/// more, and `relocate(to:)` copies the transcript elsewhere and records
/// (and shows) the events held back.
///
/// `@unchecked Sendable`: its state is guarded by a lock, the writer and
/// presenter are thread-safe; concurrent steps record from their threads.
public final class SessionRecorder: @unchecked Sendable {
    public let presenter: (any SessionPresenter)?
    private let lock = NSLock()
    private var writer: TranscriptWriter?
    private var firstFailure: TranscriptError?
    private var heldBack: [TranscriptEvent] = []
    private var lastSignal: String?
    /// A host's recorder in a run over a fleet records through the run's own.
    private let parent: SessionRecorder?
    private let transform: @Sendable (TranscriptEvent) -> TranscriptEvent?

    public init(transcript: TranscriptWriter?, presenter: (any SessionPresenter)?) {
        writer = transcript
        self.presenter = presenter
        parent = nil
        transform = { $0 }
    }

    /// Records into `parent` what `transform` makes of each event (nil: nothing):
    /// one transcript for a walk on many hosts.
    public init(forwardingTo parent: SessionRecorder, transform: @escaping @Sendable (TranscriptEvent) -> TranscriptEvent?) {
        writer = nil
        presenter = parent.presenter
        self.parent = parent
        self.transform = transform
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Where the session is recorded now.
    public var transcript: TranscriptWriter? { parent?.transcript ?? locked { writer } }

    /// Why the transcript cannot be written, once a write failed.
    public var failure: TranscriptError? { parent?.failure ?? locked { firstFailure } }

    /// The signal of the last `interrupt` event that named one: a session
    /// ended by a signal records its interruption once.
    public var lastInterruptSignal: String? { locked { lastSignal } }

    /// Writes the event, then shows it. One that cannot be written is held
    /// back, not shown, and so is every event after it.
    public func record(_ event: TranscriptEvent) {
        if let parent {
            if let e = transform(event) { parent.record(e) }
            return
        }
        lock.lock()
        if firstFailure != nil {
            heldBack.append(event)
            lock.unlock()
            return
        }
        let writer = self.writer
        lock.unlock()
        if let writer {
            // On disk before it is shown. With nobody shown anything (no presenter), a step's
            // end is synced; the session's end always is.
            let sync: Bool
            switch event {
            case .sessionEnded: sync = true
            case .stepEnded, .runbookEnded: sync = presenter?.shows(event) ?? true
            default: sync = presenter?.shows(event) ?? false
            }
            do { try writer.write(event, sync: sync) } catch {
                locked {
                    if firstFailure == nil { firstFailure = error }
                    heldBack.append(event)
                }
                return
            }
        }
        if case .interrupted(_, .some(let signal)) = event { locked { lastSignal = signal } }
        presenter?.present(event)
    }

    /// Records the session's end. One ended by a signal records its
    /// interruption first, unless the step it stopped already did.
    public func endSession(_ status: OutcomeStatus, reason: String?, signal: String? = nil) {
        if let signal, lastInterruptSignal != signal { record(.interrupted(step: nil, signal: signal)) }
        record(.sessionEnded(status: status, reason: reason))
    }

    /// Copies the transcript so far to `path` and records there from now
    /// on, starting with the events held back; returns the new path.
    @discardableResult
    public func relocate(to path: String) throws(TranscriptError) -> String {
        guard let old = transcript else { throw TranscriptError("there is no transcript to copy") }
        let next = try old.continuing(at: path)
        let pending = locked {
            writer = next
            firstFailure = nil
            defer { heldBack = [] }
            return heldBack
        }
        for event in pending { record(event) }
        return next.path
    }

    public func notice(_ text: String) { presenter?.notice(text) }
}
