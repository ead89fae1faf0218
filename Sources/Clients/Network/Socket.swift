import Foundation

/// Why a network probe could not talk to its peer.
public enum NetworkError: Error, Sendable, Hashable, CustomStringConvertible {
    case dns(String)
    case refused(String)
    case unreachable(String)
    case timeout(String)
    case interrupted
    case protocolError(String)
    case badAddress(String)

    public var description: String {
        switch self {
        case .dns(let m): return "DNS lookup failed: \(m)"
        case .refused(let m): return "connection refused: \(m)"
        case .unreachable(let m): return "unreachable: \(m)"
        case .timeout(let m): return "timed out: \(m)"
        case .interrupted: return "interrupted"
        case .protocolError(let m): return m
        case .badAddress(let m): return "bad address: \(m)"
        }
    }
}

/// A connected TCP socket with deadline-bounded reads and writes. Closed in `deinit`.
public final class TCPSocket: @unchecked Sendable {
    public let fd: Int32
    public let peer: String

    init(fd: Int32, peer: String) {
        self.fd = fd
        self.peer = peer
    }

    deinit { close(fd) }

    /// Splits `host:port`, `[v6]:port`; a bare host takes `defaultPort`.
    public static func split(_ address: String, defaultPort: Int? = nil) throws(NetworkError) -> (host: String, port: Int) {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            let host = String(address[address.index(after: address.startIndex)..<close])
            let rest = address[address.index(after: close)...]
            if rest.isEmpty, let p = defaultPort { return (host, p) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else {
                throw .badAddress("`\(address)` is not [host]:port")
            }
            return (host, port)
        }
        guard let colon = address.lastIndex(of: ":") else {
            if let p = defaultPort, !address.isEmpty { return (address, p) }
            throw .badAddress("`\(address)` is not host:port")
        }
        let host = String(address[..<colon])
        guard !host.isEmpty, let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
            throw .badAddress("`\(address)` is not host:port")
        }
        return (host, port)
    }

    /// Resolves and connects, trying each address until one answers or time runs out.
    public static func connect(
        host: String, port: Int, timeout: Double, interrupted: @Sendable () -> Bool = { false }
    ) throws(NetworkError) -> TCPSocket {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw .dns("\(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }

        var lastError: NetworkError = .unreachable("\(host):\(port)")
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let ai = cursor {
            cursor = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), ai.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            let r = Foundation.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen)
            if r == 0 || errno == EINPROGRESS {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                var done = r == 0
                while !done {
                    if interrupted() { close(fd); throw .interrupted }
                    if ContinuousClock.now >= deadline {
                        close(fd); throw .timeout("connecting to \(host):\(port) took over \(formatSeconds(timeout))")
                    }
                    let n = poll(&pfd, 1, 50)
                    if n > 0 { done = true } else if n < 0 && errno != EINTR { break }
                }
                var soError: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len)
                if done && soError == 0 {
                    var one: Int32 = 1
                    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                    return TCPSocket(fd: fd, peer: "\(host):\(port)")
                }
                lastError = classify(soError == 0 ? errno : soError, host: host, port: port)
            } else {
                lastError = classify(errno, host: host, port: port)
            }
            close(fd)
        }
        throw lastError
    }

    private static func classify(_ code: Int32, host: String, port: Int) -> NetworkError {
        let message = "\(host):\(port): \(String(cString: strerror(code)))"
        switch code {
        case ECONNREFUSED: return .refused(message)
        case ETIMEDOUT: return .timeout(message)
        default: return .unreachable(message)
        }
    }

    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(NetworkError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Foundation.send(fd, raw.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 { offset += n; continue }
            if n < 0 && (errno == EAGAIN || errno == EINTR) {
                try wait(events: Int16(POLLOUT), deadline: deadline)
                continue
            }
            throw .unreachable("\(peer): write failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Reads what is available (waiting until something is), or [] at end of stream.
    public func read(
        max: Int = 65_536, deadline: ContinuousClock.Instant,
        interrupted: @Sendable () -> Bool = { false }
    ) throws(NetworkError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n = buffer.withUnsafeMutableBytes { Foundation.recv(fd, $0.baseAddress, max, 0) }
            if n > 0 { return Array(buffer[0..<n]) }
            if n == 0 { return [] }
            if errno == EAGAIN || errno == EINTR {
                if interrupted() { throw .interrupted }
                try wait(events: Int16(POLLIN), deadline: deadline)
                continue
            }
            if errno == ECONNRESET { throw .unreachable("\(peer): connection reset") }
            throw .unreachable("\(peer): read failed: \(String(cString: strerror(errno)))")
        }
    }

    private func wait(events: Int16, deadline: ContinuousClock.Instant) throws(NetworkError) {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { throw .timeout("\(peer) did not answer in time") }
        let ms = min(Int32(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000), 50)
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        _ = poll(&pfd, 1, max(ms, 1))
    }
}
