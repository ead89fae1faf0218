@preconcurrency import Foundation
import Synchronization

/// Ctrl-C, counted. The handler only bumps an atomic counter; whoever runs
/// a step checks it, stops the step (its process group, or the query with
/// PQcancel) and carries on. The shell itself is never killed by it.
public enum Interrupts {
    static let count = Atomic<Int>(0)

    /// Installs the SIGINT handler, without SA_RESTART so a blocking read
    /// (libedit's, a poll) returns EINTR and the loop can look at the counter.
    public static func install() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            Interrupts.count.add(1, ordering: .relaxed)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    /// The counter now; compare later with `since(_:)`.
    public static var mark: Int { count.load(ordering: .relaxed) }

    /// Whether Ctrl-C was pressed after `mark`.
    public static func since(_ mark: Int) -> Bool { count.load(ordering: .relaxed) != mark }
}
