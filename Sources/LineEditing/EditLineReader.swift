@preconcurrency import CLibEdit
@preconcurrency import Foundation

/// Line editing over libedit: emacs keys, Ctrl-R search, ~/.editrc,
/// history kept in a file, and Tab completion through a `Completer`.
///
/// The completion and prompt callbacks find this object through libedit's
/// client-data slot (EL_CLIENTDATA), never through a global.
public final class EditLineReader: LineReader {
    private let editLine: OpaquePointer
    private let history: OpaquePointer
    private let historyPath: String?
    private var promptStorage: UnsafeMutablePointer<CChar>?
    public weak var completer: (any Completer)?
    /// Called for a Ctrl-C seen while reading: lets the owner know it was consumed.
    private let interruptCount: () -> Int

    public var isInteractive: Bool { true }

    /// Nil when libedit cannot start (no terminal).
    public init?(program: String = "rbsh", historyPath: String?, interruptCount: @escaping () -> Int) {
        setlocale(LC_ALL, "")
        guard let el = el_init(program, stdin, stdout, stderr) else { return nil }
        guard let h = history_init() else {
            el_end(el)
            return nil
        }
        editLine = el
        history = h
        self.historyPath = historyPath
        self.interruptCount = interruptCount

        _ = CLibEdit_historySetSize(h, 2000)
        _ = CLibEdit_historySetUnique(h, 1)
        _ = CLibEdit_setHistory(el, h)
        _ = CLibEdit_setEditor(el, "emacs")
        // Ctrl-C is ours (SIGINT handler without SA_RESTART), not libedit's.
        _ = CLibEdit_setSignalHandling(el, 0)
        _ = CLibEdit_setClientData(el, Unmanaged.passUnretained(self).toOpaque())
        _ = CLibEdit_setPrompt(el) { el in
            guard let el, let data = CLibEdit_clientData(el) else { return nil }
            return Unmanaged<EditLineReader>.fromOpaque(data).takeUnretainedValue().promptStorage
        }
        _ = CLibEdit_addCompletionFunction(el) { el, _ in
            guard let el, let data = CLibEdit_clientData(el) else { return UInt8(CC_ERROR) }
            return Unmanaged<EditLineReader>.fromOpaque(data).takeUnretainedValue().complete()
        }
        _ = CLibEdit_bind(el, "^I", "rbsh-complete")
        _ = CLibEdit_bind(el, "^R", "em-inc-search-prev")
        _ = el_source(el, nil)

        if let historyPath {
            let dir = (historyPath as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            _ = CLibEdit_historyLoad(h, historyPath)
        }
    }

    deinit {
        el_end(editLine)
        history_end(history)
        free(promptStorage)
    }

    public func readLine(prompt: String) -> LineReadResult {
        free(promptStorage)
        promptStorage = strdup(prompt)
        let before = interruptCount()
        var count: Int32 = 0
        guard let raw = el_gets(editLine, &count), count >= 0 else {
            if interruptCount() != before {
                // libedit left the line half-drawn: start the next one clean.
                fputs("^C\n", stdout)
                fflush(stdout)
                el_reset(editLine)
                return .interrupted
            }
            return .endOfInput
        }
        var line = String(cString: raw)
        if line.hasSuffix("\n") { line.removeLast() }
        return .line(line)
    }

    public func remember(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        _ = CLibEdit_historyEnter(history, line)
        if let historyPath {
            _ = CLibEdit_historySave(history, historyPath)
            chmod(historyPath, 0o600)
        }
    }

    private func complete() -> UInt8 {
        guard let info = el_line(editLine)?.pointee, let completer else { return UInt8(CC_ERROR) }
        let length = info.cursor - info.buffer
        guard length >= 0 else { return UInt8(CC_ERROR) }
        let upToCursor = String(decoding: UnsafeRawBufferPointer(start: info.buffer, count: length), as: UTF8.self)
        let word = String(upToCursor.split(separator: " ", omittingEmptySubsequences: false).last ?? "")
        let candidates = completer.completions(forLine: upToCursor).filter { $0.hasPrefix(word) }
        guard !candidates.isEmpty else { return UInt8(CC_ERROR) }
        if candidates.count == 1, let only = candidates.first {
            let rest = String(only.dropFirst(word.count)) + (only.hasSuffix("/") ? "" : " ")
            _ = el_insertstr(editLine, rest)
            return UInt8(CC_REFRESH)
        }
        let common = candidates.dropFirst().reduce(candidates[0]) { prefix, c in
            String(zip(prefix, c).prefix { $0 == $1 }.map(\.0))
        }
        if common.count > word.count {
            _ = el_insertstr(editLine, String(common.dropFirst(word.count)))
            return UInt8(CC_REFRESH)
        }
        fputs("\n" + candidates.joined(separator: "  ") + "\n", stdout)
        fflush(stdout)
        return UInt8(CC_REDISPLAY)
    }
}
