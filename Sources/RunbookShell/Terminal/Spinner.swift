@preconcurrency import Foundation

/// After a step has run for a second, a spinner line with the elapsed time
/// and the step's title, redrawn every 100 ms below whatever output the step
/// streams. Only on a terminal.
final class Spinner: @unchecked Sendable {
    private let lock = NSLock()
    private var title = ""
    private var started = Date()
    private var shown = false
    private var running = false
    private var frame = 0
    private let enabled: Bool
    private static let frames = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

    init(enabled: Bool) { self.enabled = enabled }

    /// Whether it draws at all: only on a terminal.
    var isEnabled: Bool { enabled }

    func start(_ title: String) {
        guard enabled else { return }
        lock.lock()
        self.title = title
        started = Date()
        running = true
        shown = false
        lock.unlock()
        let thread = Thread { [self] in
            while true {
                usleep(100_000)
                lock.lock()
                guard running else { lock.unlock(); return }
                if Date().timeIntervalSince(started) >= 1 { draw() }
                lock.unlock()
            }
        }
        thread.start()
    }

    /// Called with the lock held.
    private func draw() {
        let elapsed = String(format: "%.1fs", Date().timeIntervalSince(started))
        let symbol = Self.frames[frame % Self.frames.count]
        frame += 1
        let columns = Int(Self.terminalColumns())
        var line = "\(symbol) \(elapsed)  \(title)  (Ctrl-C stops it)"
        if line.count > columns - 1 { line = String(line.prefix(max(10, columns - 2))) }
        try? FileHandle.standardError.write(contentsOf: Data("\r\u{1B}[2K\u{1B}[2m\(line)\u{1B}[0m".utf8))
        shown = true
    }

    /// Clears the spinner line so output can be written in its place.
    func clear() {
        guard enabled else { return }
        lock.lock()
        if shown {
            try? FileHandle.standardError.write(contentsOf: Data("\r\u{1B}[2K".utf8))
            shown = false
        }
        lock.unlock()
    }

    func stop() {
        guard enabled else { return }
        lock.lock()
        running = false
        if shown { try? FileHandle.standardError.write(contentsOf: Data("\r\u{1B}[2K".utf8)) }
        shown = false
        lock.unlock()
    }

    static func terminalColumns() -> Int32 {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int32(size.ws_col) }
        return 80
    }
}
