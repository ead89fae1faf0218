@preconcurrency import Foundation
import RunbookKit

/// Colours for a terminal, off under NO_COLOR or when output is not a terminal.
struct Style: Sendable {
    let enabled: Bool

    static func forStandardOutput() -> Style {
        let env = ProcessInfo.processInfo.environment
        return Style(enabled: isatty(STDOUT_FILENO) == 1 && env["NO_COLOR"] == nil && env["TERM"] != "dumb")
    }

    private func wrap(_ code: String, _ text: String) -> String { enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    func bold(_ t: String) -> String { wrap("1", t) }
    func dim(_ t: String) -> String { wrap("2", t) }
    func red(_ t: String) -> String { wrap("31", t) }
    func yellow(_ t: String) -> String { wrap("33", t) }
    func green(_ t: String) -> String { wrap("32", t) }
    func cyan(_ t: String) -> String { wrap("36", t) }

    func severity(_ s: Severity) -> String {
        switch s {
        case .critical: return red(bold("CRITICAL"))
        case .warning: return yellow(bold("WARNING"))
        case .info: return cyan("INFO")
        }
    }

    func status(_ s: StepStatus) -> String {
        switch s {
        case .ok: return green("ok")
        case .failed: return red("failed")
        case .error: return red("error")
        case .timeout: return red("timeout")
        case .interrupted: return yellow("interrupted")
        case .skipped: return dim("skipped")
        }
    }

    func outcome(_ o: OutcomeStatus) -> String {
        switch o {
        case .ok: return green(bold("OK"))
        case .warning: return yellow(bold("WARNING"))
        case .critical: return red(bold("CRITICAL"))
        case .unknown: return yellow(bold("UNKNOWN"))
        }
    }
}

/// Where the shell's output goes: standard output and error by default, or
/// any sink (tests read it).
final class Console: @unchecked Sendable {
    private let lock = NSLock()
    private let sink: @Sendable (String, Bool) -> Void

    /// `sink(text, isError)`; by default standard output and error, where a
    /// write that fails (the terminal went away, a closed pipe) is dropped,
    /// never a crash: the transcript, not the screen, is the record.
    init(
        sink: @escaping @Sendable (String, Bool) -> Void = { text, isError in
            try? (isError ? FileHandle.standardError : FileHandle.standardOutput).write(contentsOf: Data(text.utf8))
        }
    ) {
        self.sink = sink
    }

    func out(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        sink(text, false)
    }
    func line(_ text: String) { out(text + "\n") }
    func error(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        sink(text + "\n", true)
    }
}
