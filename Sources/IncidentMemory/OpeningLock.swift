#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An advisory lock on a file beside the index, held while one process opens
/// and migrates it; the others wait (up to 10 s) for their turn. The same wait
/// guards the file of pending sessions.
enum OpeningLock {
    static func held<T>(beside path: String, _ body: () throws -> T) throws -> T {
        let fd = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return try body() }  // a read-only folder: SQLite says what it can do
        defer { close(fd) }
        guard lock(fd) else { throw MemoryError("the incident memory \(path) is being opened by another process for more than 10 s") }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// Takes `fd`'s exclusive lock, waiting up to 10 s; false when another process held it all that time.
    static func lock(_ fd: Int32) -> Bool {
        var waited = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, waited < 1000 else { return false }
            usleep(10_000)
            waited += 1
        }
        return true
    }
}
