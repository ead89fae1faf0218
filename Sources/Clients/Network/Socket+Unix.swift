import Foundation

extension TCPSocket {
    /// A stream socket to a Unix-domain socket file (Docker's engine listens on one): the same reads and writes
    /// with deadlines as a TCP connection.
    public static func connect(unixPath path: String) throws(NetworkError) -> TCPSocket {
        var address = try unixAddress(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .unreachable("\(path): \(String(cString: strerror(errno)))") }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let code = errno
            close(fd)
            let message = "\(path): \(String(cString: strerror(code)))"
            throw code == ECONNREFUSED || code == ENOENT ? .refused(message) : .unreachable(message)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return TCPSocket(fd: fd, peer: path)
    }

    /// The address of a Unix-domain socket file, or why `path` cannot be one.
    static func unixAddress(_ path: String) throws(NetworkError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw .badAddress("\(path): too long for a socket path") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return address
    }
}
