@preconcurrency import Foundation
import Runs
import Synchronization

/// Ctrl-C and the signals that end a session, counted. The handlers only
/// touch atomics; whoever runs a step checks them, stops the step (its
/// process group, or the query with PQcancel) and carries on, or, for a
/// signal that ends the session, records the end and exits.
///
/// - SIGINT (Ctrl-C) stops the running step, never the shell.
/// - SIGHUP (the terminal went away), SIGTERM and SIGQUIT stop the running
///   step the same way, then end the session: an `interrupt` event with the
///   signal, `session_end` with the reason, exit status 128 + the signal. A
///   second one while that happens exits at once.
public enum Interrupts {
    static let count = Atomic<Int>(0)
    /// The last signal that arrived (SIGINT included), 0 before any.
    static let last = Atomic<Int32>(0)
    /// The first signal that ends the session, 0 until one comes.
    static let ending = Atomic<Int32>(0)

    static let endingSignals = [SIGHUP, SIGTERM, SIGQUIT]

    /// Installs the handlers, without SA_RESTART so a blocking read
    /// (libedit's, a poll) returns EINTR and the loop can look at them.
    /// SIGPIPE is ignored: a reader that went away is a failed write, not a death.
    public static func install() {
        signal(SIGPIPE, SIG_IGN)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { sig in
            if Interrupts.endingSignals.contains(sig) {
                // A second ending signal while the first is handled: out now. A
                // terminal that goes away may send SIGHUP twice; that is one hang-up.
                let first = Interrupts.ending.compareExchange(expected: 0, desired: sig, ordering: .relaxed)
                if !first.exchanged, !(sig == SIGHUP && first.original == SIGHUP) { _exit(128 + sig) }
            }
            Interrupts.last.store(sig, ordering: .relaxed)
            Interrupts.count.add(1, ordering: .relaxed)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        var ours = sigset_t()
        sigemptyset(&ours)
        for sig in [SIGINT] + endingSignals {
            sigaction(sig, &action, nil)
            sigaddset(&ours, sig)
        }
        // A parent may have started rbsh with these blocked; threads started later inherit this mask.
        pthread_sigmask(SIG_UNBLOCK, &ours, nil)
    }

    /// The counter now; compare later with `since(_:)`.
    public static var mark: Int { count.load(ordering: .relaxed) }

    /// Whether a signal came after `mark`.
    public static func since(_ mark: Int) -> Bool { count.load(ordering: .relaxed) != mark }

    /// The signal that ends the session, once one has come.
    public static var endingSignal: Int32? {
        let s = ending.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }

    /// The last signal's name (`SIGINT`, `SIGHUP`...), for the transcript.
    public static var lastSignalName: String? {
        let s = last.load(ordering: .relaxed)
        return s == 0 ? nil : name(s)
    }

    public static func name(_ sig: Int32) -> String { SessionSignals.name(sig) }

    /// Why the session ended, as `session_end` says it.
    public static func reason(_ sig: Int32) -> String { SessionSignals.reason(sig) }

    /// What a session set up here knows of these signals.
    public static let sessionSignals = SessionSignals(lastSignalName: { Interrupts.lastSignalName }, ending: { Interrupts.endingSignal })
}
