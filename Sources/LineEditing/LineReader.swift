import Foundation

/// What reading a line gave.
public enum LineReadResult: Sendable, Hashable {
    case line(String)
    /// Ctrl-C at the prompt: the line is dropped.
    case interrupted
    /// Ctrl-D, or the end of a script.
    case endOfInput
}

/// Where the shell's lines come from: libedit on a terminal, plain lines
/// from a script or a pipe, or a test.
public protocol LineReader: AnyObject {
    func readLine(prompt: String) -> LineReadResult
    /// Adds a line to the history (if this reader keeps one).
    func remember(_ line: String)
    /// Whether a person is typing (a prompt is shown, confirmations can be asked).
    var isInteractive: Bool { get }
}

/// Offers completions for the word under the cursor.
public protocol Completer: AnyObject {
    /// `line` is the text up to the cursor; returns candidates for its last word.
    func completions(forLine line: String) -> [String]
}

/// Lines from a file handle, no prompt, no editing: scripts and pipes.
public final class PlainLineReader: LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var atEnd = false

    public init(handle: FileHandle = .standardInput) { self.handle = handle }

    public var isInteractive: Bool { false }

    public func readLine(prompt: String) -> LineReadResult {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return .line(line.hasSuffix("\r") ? String(line.dropLast()) : line)
            }
            if atEnd {
                guard !buffer.isEmpty else { return .endOfInput }
                let line = String(decoding: buffer, as: UTF8.self)
                buffer.removeAll()
                return .line(line)
            }
            let chunk = handle.availableData
            if chunk.isEmpty { atEnd = true } else { buffer += chunk }
        }
    }

    public func remember(_ line: String) {}
}

/// Lines given in advance: for tests, and for answers typed ahead.
public final class ScriptedLineReader: LineReader {
    private var lines: [String]
    public private(set) var prompts: [String] = []
    /// `interactive`: behave as a person's terminal (prompts shown, questions asked again).
    public init(_ lines: [String], interactive: Bool = false) {
        self.lines = lines
        isInteractive = interactive
    }
    public let isInteractive: Bool
    public func readLine(prompt: String) -> LineReadResult {
        prompts.append(prompt)
        guard !lines.isEmpty else { return .endOfInput }
        return .line(lines.removeFirst())
    }
    public func remember(_ line: String) {}
}
