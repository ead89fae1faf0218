import Foundation

/// Sees what a session does, to show it (text, JSON) as it happens.
public protocol SessionPresenter: AnyObject, Sendable {
    /// An event, once it is on disk.
    func present(_ event: TranscriptEvent)
    /// A running step's output as it comes; stream 1 is stdout, 2 stderr.
    func output(_ text: String, stream: Int32)
    /// A one-line notice that is not an event: "question skipped", say.
    func notice(_ text: String)
}

/// Where a session's events go: the transcript first, then whoever shows
/// them, so whatever the operator saw done is on disk.
///
/// `@unchecked Sendable`: the failure is guarded by a lock, the writer and
/// presenter are thread-safe; concurrent steps record from their threads.
public final class SessionRecorder: @unchecked Sendable {
    public let transcript: TranscriptWriter?
    public let presenter: (any SessionPresenter)?
    private let lock = NSLock()
    private var firstFailure: TranscriptError?
    private var lastSignal: String?

    public init(transcript: TranscriptWriter?, presenter: (any SessionPresenter)?) {
        self.transcript = transcript
        self.presenter = presenter
    }

    /// The first write to the transcript that failed, if any.
    public var failure: TranscriptError? {
        lock.lock()
        defer { lock.unlock() }
        return firstFailure
    }

    /// The signal of the last `interrupt` event that named one: a session
    /// ended by a signal records its interruption once.
    public var lastInterruptSignal: String? {
        lock.lock()
        defer { lock.unlock() }
        return lastSignal
    }

    /// Writes the event, then shows it. A failed write is kept (`failure`)
    /// and the session goes on.
    public func record(_ event: TranscriptEvent) {
        if case .interrupted(_, .some(let signal)) = event {
            lock.lock()
            lastSignal = signal
            lock.unlock()
        }
        if let transcript {
            do { try transcript.write(event) } catch {
                lock.lock()
                if firstFailure == nil { firstFailure = error }
                lock.unlock()
            }
        }
        presenter?.present(event)
    }

    public func notice(_ text: String) { presenter?.notice(text) }
}
