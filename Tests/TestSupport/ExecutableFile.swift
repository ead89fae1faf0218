import Foundation

/// A script the test runs, written so no other test's child can hold it open: opened close-on-exec, written,
/// closed, then made executable. (Foundation's write does not open close-on-exec; a program spawned by a test
/// running alongside inherits the descriptor and keeps the script "text file busy" for as long as it runs.)
public enum ExecutableFile {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    public static func write(_ text: String, to path: String) throws { try write(Array(text.utf8), to: path) }

    /// A copy of a program, under another name (a program named as another is, for what reads names).
    public static func copy(_ source: String, to path: String) throws {
        guard let data = FileManager.default.contents(atPath: source) else { throw Failure(description: "cannot read \(source)") }
        try write(Array(data), to: path)
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw Failure(description: "cannot write \(path): errno \(errno)") }
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count else { throw Failure(description: "cannot write \(path): short write") }
        chmod(path, 0o755)
    }
}
