import Clients
import Foundation

/// A small tmpfs of the test's own, to fill up: what a full disk does to a
/// transcript. Needs root (the test command runs as root); unmounted on deinit.
public final class TinyDisk {
    public let path: String

    public static var isAvailable: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/mount") }

    public init(kilobytes: Int) throws {
        path = NSTemporaryDirectory() + "rbsh-tiny-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let out = ShellRunner().run(argv: ["/usr/bin/mount", "-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path], timeout: 10)
        guard case .exited(0) = out.ending else { throw MountError(description: "mount: \(out.output.text)") }
    }

    /// Fills what is left of it.
    public func fill() {
        _ = ShellRunner().run(argv: ["/bin/sh", "-c", "cat /dev/zero > '\(path)/filler'"], timeout: 10)
    }

    deinit {
        _ = ShellRunner().run(argv: ["/usr/bin/umount", path], timeout: 10)
        try? FileManager.default.removeItem(atPath: path)
    }

    public struct MountError: Error, CustomStringConvertible { public var description: String }
}
