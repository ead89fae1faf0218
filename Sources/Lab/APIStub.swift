import COpenSSL
@preconcurrency import Foundation
import Clients
import RunbookKit

/// The management API stand-in: `GET /api/v1/health` says whether the
/// database and Redis answer; `/ws` accepts agents' WebSocket connections
/// and answers pings. One thread per connection; loopback only.
public final class APIStub: @unchecked Sendable {
    let port: Int
    let tls: (port: Int, certificate: String, key: String)?
    let databaseURL: String
    let redisURL: String
    /// The faults that live in the API itself.
    let behaviour: APIBehaviour
    /// The shape of its health answer.
    let flavour: APIFlavour
    /// Where it listens: loopback, or every address inside the compose lab's container.
    var host = "127.0.0.1"

    public init(
        port: Int, tls: (port: Int, certificate: String, key: String)?, databaseURL: String, redisURL: String,
        behaviour: APIBehaviour = .normal, flavour: APIFlavour = .nested, host: String = "127.0.0.1"
    ) {
        self.flavour = flavour
        self.host = host
        self.port = port
        self.tls = tls
        self.databaseURL = behaviour.databaseURL(databaseURL)
        self.redisURL = redisURL
        self.behaviour = behaviour
    }

    /// Listens (plain, and TLS when configured) until the process is stopped.
    public func serve() throws -> Never {
        signal(SIGPIPE, SIG_IGN)
        let plain = try listenSocket(port)
        if let tls {
            let context = ServerTLSContext(try Self.serverContext(certificate: tls.certificate, key: tls.key))
            let secure = try listenSocket(tls.port)
            try? FileHandle.standardOutput.write(contentsOf: Data("API stub listening on 127.0.0.1:\(tls.port) (TLS)\n".utf8))
            let acceptor = Thread { [self] in self.acceptLoop(secure) { fd in TLSServerConnection(fd: fd, context: context.pointer) } }
            acceptor.start()
        }
        try? FileHandle.standardOutput.write(contentsOf: Data("API stub listening on \(host):\(port)\n".utf8))
        Thread { [self] in self.recordHeartbeats() }.start()
        acceptLoop(plain) { fd in PlainConnection(fd: fd) }
    }

    private func acceptLoop(_ fd: Int32, wrap: @escaping @Sendable (Int32) -> (any StubConnection)?) -> Never {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { continue }
            let thread = Thread { [self] in
                var timeout = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var one: Int32 = 1
                setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                if let connection = wrap(client) { self.handle(connection) }
                close(client)
            }
            thread.start()
        }
    }

    static func serverContext(certificate: String, key: String) throws -> OpaquePointer {
        guard let method = TLS_server_method(), let ctx = SSL_CTX_new(method) else { throw LabError("TLS: cannot create a server context") }
        guard SSL_CTX_use_certificate_chain_file(ctx, certificate) == 1, SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 else {
            SSL_CTX_free(ctx)
            throw LabError("TLS: cannot load \(certificate) and its key")
        }
        return ctx
    }

    private func listenSocket(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LabError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr(host)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw LabError("cannot listen on \(host):\(port): \(String(cString: strerror(errno)))") }
        guard listen(fd, 128) == 0 else { throw LabError("listen: \(String(cString: strerror(errno)))") }
        return fd
    }

    private func handle(_ fd: any StubConnection) {
        var data: [UInt8] = []
        while data.firstRange(of: [13, 10, 13, 10]) == nil, data.count < 65_536 {
            let chunk = fd.receive()
            if chunk.isEmpty { return }
            data += chunk
        }
        let head = String(decoding: data, as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return respond(fd, 400, json: #"{"error":"bad request"}"#) }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let path = String(requestLine[1].split(separator: "?").first ?? "")
        if behaviour.delayMilliseconds > 0 { usleep(useconds_t(behaviour.delayMilliseconds) * 1000) }
        switch path {
        case "/api/v1/health" where behaviour.healthError:
            respond(fd, 500, json: #"{"error":"internal server error"}"#)
        case "/api/v1/health":
            health(fd)
        case "/ws" where behaviour.brokenWebSocket:
            respond(fd, 502, json: #"{"error":"agent gateway unavailable"}"#)
        case "/ws":
            webSocket(fd, headers: headers)
        default:
            respond(fd, 404, json: #"{"error":"not found"}"#)
        }
    }

    /// The agents connected to the platform report every 30 s: the API
    /// records it. An agent silent for two minutes (stopped, or the
    /// agents-offline fault) stays silent until it is restarted.
    /// The application name of the stub's own short connections (its health check, its heartbeat writes).
    /// Not the application's pool's name: a real API checks its database through its pool, so one of these
    /// seen idle beside a pool the pool-exhausted fault holds busy made the pool look less than full.
    static let ownChecks = "network_probe_health"

    private func recordHeartbeats() -> Never {
        while true {
            if let c = try? PostgresConnection.connect(databaseURL, timeout: 5, applicationName: Self.ownChecks) {
                _ = try? c.query(
                    "UPDATE agents SET last_heartbeat = now() WHERE status = 'online' AND last_heartbeat > now() - interval '2 minutes'",
                    timeout: 10)
            }
            sleep(30)
        }
    }

    private func health(_ fd: any StubConnection) {
        let started = Date()
        var database = #"{"ok":true}"#
        do {
            let c = try PostgresConnection.connect(databaseURL, timeout: 3, applicationName: Self.ownChecks)
            _ = try c.query("SELECT 1", timeout: 3)
        } catch {
            database = #"{"ok":false,"error":\#(jsonString(error.description))}"#
        }
        var redis = #"{"ok":true}"#
        do {
            let c = try RedisConnection.connect(try RedisURL(parsing: redisURL), timeout: 3)
            _ = try c.command(["PING"])
        } catch {
            redis = #"{"ok":false,"error":\#(jsonString(error.description))}"#
        }
        let healthy = database.hasPrefix(#"{"ok":true"#) && redis.hasPrefix(#"{"ok":true"#)
        let ms = Int(Date().timeIntervalSince(started) * 1000)
        switch flavour {
        case .nested:
            let body =
                #"{"status":"\#(healthy ? "healthy" : "unhealthy")","database":\#(database),"redis":\#(redis),"response_time_ms":\#(ms)}"#
            respond(fd, healthy ? 200 : 503, json: body)
        case .actuator, .compose:
            // Spring Boot Actuator's shape: UP or DOWN, each component's details beside it.
            func component(_ nested: String) -> String {
                guard !nested.hasPrefix(#"{"ok":true"#) else { return #"{"status":"UP"}"# }
                let error = nested.range(of: #""error":"#).map { String(nested[$0.upperBound...].dropLast()) } ?? #""unknown""#
                return #"{"status":"DOWN","details":{"error":\#(error)}}"#
            }
            let body =
                #"{"status":"\#(healthy ? "UP" : "DOWN")","components":{"db":\#(component(database)),"redis":\#(component(redis))}}"#
            respond(fd, healthy ? 200 : 503, json: body)
        }
    }

    private func webSocket(_ fd: any StubConnection, headers: [String: String]) {
        guard headers["upgrade"]?.lowercased() == "websocket", let key = headers["sec-websocket-key"] else {
            return respond(fd, 400, json: #"{"error":"expected a WebSocket upgrade"}"#)
        }
        let answer =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(WebSocketHandshake.accept(forKey: key))\r\n\r\n"
        fd.send(Array(answer.utf8))
        // Frames: answer pings, echo text, close on close.
        var pending: [UInt8] = []
        while true {
            let chunk = fd.receive()
            if chunk.isEmpty { return }
            pending += chunk
            while let (opcode, payload, used) = WebSocketFrame.parse(pending) {
                pending.removeFirst(used)
                switch opcode {
                case 0x9: fd.send(WebSocketFrame.encode(opcode: 0xA, payload: payload, masked: false))
                case 0x1, 0x2: fd.send(WebSocketFrame.encode(opcode: opcode, payload: payload, masked: false))
                case 0x8:
                    fd.send(WebSocketFrame.encode(opcode: 0x8, payload: Array(payload.prefix(2)), masked: false))
                    return
                default: break
                }
            }
        }
    }

    private func respond(_ fd: any StubConnection, _ status: Int, json: String) {
        let reason =
            [
                200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error", 502: "Bad Gateway",
                503: "Service Unavailable",
            ][
                status] ?? "Error"
        let body = Array(json.utf8)
        let head =
            "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        fd.send(Array(head.utf8) + body)
    }

    private func jsonString(_ s: String) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: [s], options: []),
            let text = String(data: data, encoding: .utf8)
        else { return "\"error\"" }
        return String(text.dropFirst().dropLast())
    }
}

/// The stub's TLS context: set up once, then only read (SSL_new) by threads.
final class ServerTLSContext: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { SSL_CTX_free(pointer) }
}

/// One client of the stub, plain or TLS.
protocol StubConnection: AnyObject {
    /// What arrived, or [] at the end (or on a timeout).
    func receive() -> [UInt8]
    func send(_ bytes: [UInt8])
}

final class PlainConnection: StubConnection {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }

    func receive() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Foundation.send(fd, $0.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            offset += n
        }
    }
}

/// TLS on an accepted, blocking socket; the session is freed in `deinit`.
final class TLSServerConnection: StubConnection {
    private let ssl: OpaquePointer

    init?(fd: Int32, context: OpaquePointer) {
        guard let ssl = SSL_new(context) else { return nil }
        self.ssl = ssl
        SSL_set_fd(ssl, fd)
        guard SSL_accept(ssl) == 1 else { return nil }
    }

    deinit {
        SSL_shutdown(ssl)
        SSL_free(ssl)
    }

    func receive() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
        return n > 0 ? Array(buffer[0..<Int(n)]) : []
    }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32(bytes.count)) }
    }
}
