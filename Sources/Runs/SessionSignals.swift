import Foundation

/// What a session needs to know of the signals its process receives: the
/// one that stopped a step last, and the one the session ends by. Whoever
/// owns the process says it (the shell's and `rbsh run`'s handlers, the
/// server's stop), passed in as a value, never read from globals here.
public struct SessionSignals: Sendable {
    /// The last signal that stopped a step (`SIGINT`, `SIGHUP`...), for its `interrupt` event.
    public var lastSignalName: @Sendable () -> String?
    /// The signal the session is ending by (a hang-up, SIGTERM), once one came.
    public var ending: @Sendable () -> Int32?

    public init(lastSignalName: @escaping @Sendable () -> String?, ending: @escaping @Sendable () -> Int32?) {
        self.lastSignalName = lastSignalName
        self.ending = ending
    }

    /// No signal ever concerns it (a server's run, which its own stop ends; a test).
    public static let none = SessionSignals(lastSignalName: { nil }, ending: { nil })

    public static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGINT: return "SIGINT"
        case SIGHUP: return "SIGHUP"
        case SIGTERM: return "SIGTERM"
        case SIGQUIT: return "SIGQUIT"
        default: return "signal \(sig)"
        }
    }

    /// Why the session ended, as `session_end` says it.
    public static func reason(_ sig: Int32) -> String {
        switch sig {
        case SIGHUP: return "hangup: the terminal went away (SIGHUP)"
        case SIGTERM: return "terminated (SIGTERM)"
        case SIGQUIT: return "quit (SIGQUIT)"
        default: return name(sig)
        }
    }
}
