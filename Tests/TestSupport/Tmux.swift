import Clients
import Foundation
import Lab
import Probes
import Testing

/// The real rbsh on a real terminal: tmux runs it, send-keys types, capture-pane reads.
/// Each session has a tmux server of its own (`-L NAME`): tests in parallel never
/// start a session on a server that is exiting because another's last session ended.
public final class TmuxSession: @unchecked Sendable {
    public let name: String

    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

    /// Starts `argv` in a new detached tmux session, `width`x50, with `environment` added.
    public init(_ argv: [String], environment: [String: String] = [:], width: Int = 150) throws {
        name = "rbsh-test-\(UUID().uuidString.prefix(8))"
        let env = environment.map { "\($0.key)=\($0.value)" }
        let command = (["env"] + env + argv).map(Self.quote).joined(separator: " ")
        try Self.tmux(["-L", name, "new-session", "-d", "-s", name, "-x", String(width), "-y", "60", command])
        // Keep the pane when the program exits, to read what it said last.
        try Self.tmux(["-L", name, "set-option", "-t", name, "remain-on-exit", "on"])
    }

    /// rbsh itself with `arguments`, on the lab, with a state folder (its history) of its own.
    public static func rbsh(
        _ arguments: [String], state: String = NSTemporaryDirectory() + "rbsh-state-\(UUID().uuidString)", width: Int = 150
    ) throws -> TmuxSession {
        try TmuxSession(
            [LabFixture.binary] + arguments,
            environment: ["XDG_STATE_HOME": state, "RBSH_LAB_DIR": LabState.defaultDirectory, "TERM": "xterm-256color"], width: width)
    }

    deinit { _ = try? Self.tmux(["-L", name, "kill-session", "-t", name]) }

    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    @discardableResult
    static func tmux(_ args: [String]) throws -> String {
        let out = ShellRunner(captureLimit: 1 << 20).run(argv: ["/usr/bin/tmux"] + args, timeout: 10)
        guard case .exited(0) = out.ending else { throw TmuxError(description: "tmux \(args.first ?? ""): \(out.output.text)") }
        return out.output.text
    }

    /// Keys as tmux names them: literal text, or `Enter`, `Tab`, `C-c`, `C-d`, `Up`.
    public func send(_ keys: String...) throws { try Self.tmux(["-L", name, "send-keys", "-t", name] + keys) }

    /// Literal text, with no key-name interpretation.
    public func type(_ text: String) throws { try Self.tmux(["-L", name, "send-keys", "-t", name, "-l", text]) }

    public func screen() -> String { (try? Self.tmux(["-L", name, "capture-pane", "-p", "-t", name])) ?? "" }

    /// Waits until the screen shows `text`; returns how long it took, or records a failure.
    @discardableResult
    public func waitFor(_ text: String, timeout: Double = 30, sourceLocation: SourceLocation = #_sourceLocation) -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if screen().contains(text) { return Date().timeIntervalSince(start) }
            usleep(20_000)
        }
        Issue.record("the screen never showed `\(text)`:\n\(screen())", sourceLocation: sourceLocation)
        return nil
    }

    /// Closes the terminal, as a dropped SSH connection does: the program gets SIGHUP.
    public func close() throws { try Self.tmux(["-L", name, "kill-session", "-t", name]) }

    public var isRunning: Bool { (try? Self.tmux(["-L", name, "has-session", "-t", name])) != nil }

    public struct TmuxError: Error, CustomStringConvertible { public var description: String }
}
