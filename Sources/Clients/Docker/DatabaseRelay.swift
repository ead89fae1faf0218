import Dispatch
import Foundation

/// A Unix socket of rbsh's, in a folder only its user can open, that libpq connects to for a server in a
/// container: each connection made to it runs the relay in the container (`docker exec`, found again each time,
/// so a restarted container is followed) and copies bytes both ways until either side closes. Where the
/// container cannot be reached, the connection is answered as a server would refuse it (a FATAL error
/// message that says why), so libpq says why rather than "closed unexpectedly". Closed in `deinit`.
public final class DatabaseRelay: @unchecked Sendable {
    public let directory: String
    public let port: Int
    private let listener: Int32
    private let engine: DockerEngine
    private let service: String
    private let project: String

    public init(engine: DockerEngine, service: String, project: String, port: Int) throws(NetworkError) {
        var template = Array((NSTemporaryDirectory() + "rbsh-db-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw .unreachable("a folder for the database relay: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        self.engine = engine
        self.service = service
        self.project = project
        self.port = port
        let path = "\(directory)/.s.PGSQL.\(port)"
        var address: sockaddr_un
        do { address = try TCPSocket.unixAddress(path) } catch {
            rmdir(directory)
            throw error
        }
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard listener >= 0, bound == 0, listen(listener, 16) == 0 else {
            let why = String(cString: strerror(errno))
            if listener >= 0 { close(listener) }
            rmdir(directory)
            throw .unreachable("\(path): \(why)")
        }
        let fd = listener
        DispatchQueue.global().async { [weak self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return
                }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                guard let relay = self else {
                    close(client)
                    return
                }
                DispatchQueue.global().async { relay.serve(client) }
            }
        }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        unlink("\(directory)/.s.PGSQL.\(port)")
        rmdir(directory)
    }

    /// The connection string that reaches the server through the relay: the relay's folder and port, and the
    /// target's own database, user and password.
    public func conninfo(database: String?, user: String?, password: String?) -> String {
        func quoted(_ s: String) -> String {
            "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        }
        var parts = ["host=\(quoted(directory))", "port=\(port)"]
        if let database { parts.append("dbname=\(quoted(database))") }
        if let user { parts.append("user=\(quoted(user))") }
        if let password { parts.append("password=\(quoted(password))") }
        return parts.joined(separator: " ")
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        let exec: DockerEngine.Exec
        do {
            let c = try ContainerDatabase.container(engine, service: service, project: project, timeout: 5)
            exec = try engine.exec(
                c.id, command: ["/bin/sh", "-c", ContainerDatabase.script], environment: ["PGPORT=\(port)", "RELAY=1"], timeout: 5)
        } catch {
            Self.refuse(client, "rbsh's docker exec to `\(service)`: \(error)")
            return
        }
        var frames = OutputFrames()
        var stderr: [UInt8] = []
        var sentAny = false
        func toClient(_ bytes: [UInt8]) -> Bool {
            for frame in frames.take(bytes) {
                if frame.stream == 2 { stderr += frame.bytes.prefix(4096 - min(stderr.count, 4096)) }
                guard frame.stream == 1, !frame.bytes.isEmpty else { continue }
                sentAny = true
                guard Self.sendAll(client, frame.bytes) else { return false }
            }
            return true
        }
        guard toClient(exec.leftover) else { return }
        var fds = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: exec.socket.fd, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            // While libpq holds its end, it bounds the wait (its timeouts close it); once it has gone, the
            // container's side gets 5 s to end before the relay ends it.
            let ready = poll(&fds, 2, fds[0].fd < 0 ? 5_000 : -1)
            if ready == 0 { return }
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { recv(exec.socket.fd, $0.baseAddress, $0.count, 0) }
                if n < 0, errno == EAGAIN || errno == EINTR { continue }
                if n <= 0 {
                    // The relay ended: said nothing to libpq yet (no socket in there, no perl): say why as a server would.
                    if !sentAny {
                        let why = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                        Self.refuse(client, "rbsh's docker exec to `\(service)`: \(why.isEmpty ? "the relay ended" : why)")
                    }
                    return
                }
                guard toClient(Array(buffer[0..<n])) else { return }
            }
            if fds[0].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 {
                    // libpq is done: the container's side sees its input end, and the server closes.
                    shutdown(exec.socket.fd, Int32(SHUT_WR))
                    fds[0].fd = -1
                    continue
                }
                do { try exec.socket.write(Array(buffer[0..<n]), deadline: .now + .seconds(30)) } catch { return }
            }
        }
    }

    private static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    /// A FATAL ErrorResponse (SQLSTATE 08006, connection failure), as a server sends one instead of accepting.
    static func refusal(_ message: String) -> [UInt8] {
        var fields: [UInt8] = []
        for (code, text) in [("S", "FATAL"), ("V", "FATAL"), ("C", "08006"), ("M", message)] {
            fields += Array(code.utf8) + Array(text.utf8) + [0]
        }
        fields.append(0)
        let length = UInt32(fields.count + 4)
        return Array("E".utf8) + withUnsafeBytes(of: length.bigEndian, Array.init) + fields
    }

    private static func refuse(_ client: Int32, _ message: String) {
        _ = sendAll(client, refusal(message))
    }
}
