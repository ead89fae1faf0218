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

    /// A finding's level: its severity, or UNKNOWN when its condition could not be evaluated.
    func severity(of f: Finding) -> String { f.state == .unknown ? yellow(bold("UNKNOWN")) : severity(f.severity) }

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
///
/// A script's output may be held (`hold`) and shown in batches, each after
/// the transcript is on disk: nobody watches a script live, and one sync a
/// batch costs far less than one a step. Errors are never held.
final class Console: @unchecked Sendable {
    private let lock = NSLock()
    private let sink: @Sendable (String, Bool) -> Void
    private var held = ""
    /// While output is held: puts what it shows on disk first; false when it could not.
    private var beforeShowing: (@Sendable () -> Bool)?

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

    /// From now on, holds output and shows it every `interval` seconds (and
    /// on `flush`), each time after `beforeShowing` has put it on disk;
    /// output it could not put there is dropped, never shown.
    func hold(every interval: Double = 0.02, beforeShowing: @escaping @Sendable () -> Bool) {
        lock.withLock { self.beforeShowing = beforeShowing }
        let thread = Thread { [weak self] in
            while let self {
                usleep(UInt32(interval * 1_000_000))
                self.flush()
            }
        }
        thread.start()
    }

    /// Shows what is held, once it is on disk.
    func flush() {
        lock.lock()
        defer { lock.unlock() }
        flushLocked()
    }

    private func flushLocked() {
        guard !held.isEmpty, let beforeShowing else { return }
        let text = held
        held = ""
        if beforeShowing() { sink(text, false) }
    }

    func out(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if beforeShowing != nil { held += text } else { sink(text, false) }
    }
    func line(_ text: String) { out(text + "\n") }
    func error(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        flushLocked()
        sink(text + "\n", true)
    }
}
