import Foundation

/// Waits for a file to land in a folder: inotify where the kernel can see
/// it (a local folder), and in any case no longer than the pause given, so
/// a folder shared over the network (whose changes inotify never sees) is
/// still looked at as often.
final class FolderWatch: Sendable {
    private let fd: Int32

    init(_ folder: String) {
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        if fd >= 0, inotify_add_watch(fd, folder, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE)) < 0 {
            close(fd)
            self.fd = -1
        } else {
            self.fd = fd
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Returns when something landed in the folder, or after `seconds`.
    func wait(_ seconds: Double) {
        guard fd >= 0 else { return Thread.sleep(forTimeInterval: seconds) }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(seconds * 1000)) > 0 else { return }
        // Drain what came: which file it was does not matter, the folder is looked at again.
        var buffer = [UInt8](repeating: 0, count: 4096)
        while read(fd, &buffer, buffer.count) > 0 {}
    }
}
