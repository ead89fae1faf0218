@preconcurrency import Foundation
import Probes
import RunbookKit

/// The management API stand-in: `GET /api/v1/health` says whether the
/// database and Redis answer; `/ws` accepts agents' WebSocket connections
/// and answers pings. One thread per connection; loopback only.
public final class APIStub: @unchecked Sendable {
    let port: Int
    let databaseURL: String
    let redisURL: String

    public init(port: Int, databaseURL: String, redisURL: String) {
        self.port = port
        self.databaseURL = databaseURL
        self.redisURL = redisURL
    }

    /// Listens until the process is stopped.
    public func serve() throws -> Never {
        signal(SIGPIPE, SIG_IGN)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LabError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw LabError("cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
        guard listen(fd, 128) == 0 else { throw LabError("listen: \(String(cString: strerror(errno)))") }
        print("API stub listening on 127.0.0.1:\(port)")
        fflush(stdout)
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { continue }
            let thread = Thread { [self] in
                self.handle(client)
                close(client)
            }
            thread.start()
        }
    }

    private func handle(_ fd: Int32) {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while data.firstRange(of: [13, 10, 13, 10]) == nil, data.count < 65_536 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            data += buffer[0..<n]
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
        switch path {
        case "/api/v1/health":
            health(fd)
        case "/ws":
            webSocket(fd, headers: headers)
        default:
            respond(fd, 404, json: #"{"error":"not found"}"#)
        }
    }

    private func health(_ fd: Int32) {
        let started = Date()
        var database = #"{"ok":true}"#
        do {
            let c = try PostgresConnection.connect(databaseURL, timeout: 3, applicationName: "network_probe_management")
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
        let body = #"{"status":"\#(healthy ? "healthy" : "unhealthy")","database":\#(database),"redis":\#(redis),"response_time_ms":\#(ms)}"#
        respond(fd, healthy ? 200 : 503, json: body)
    }

    private func webSocket(_ fd: Int32, headers: [String: String]) {
        guard headers["upgrade"]?.lowercased() == "websocket", let key = headers["sec-websocket-key"] else {
            return respond(fd, 400, json: #"{"error":"expected a WebSocket upgrade"}"#)
        }
        let answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(WebSocketHandshake.accept(forKey: key))\r\n\r\n"
        send(fd, Array(answer.utf8))
        // Frames: answer pings, echo text, close on close.
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var pending: [UInt8] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            pending += buffer[0..<n]
            while let (opcode, payload, used) = WebSocketFrame.parse(pending) {
                pending.removeFirst(used)
                switch opcode {
                case 0x9: send(fd, WebSocketFrame.encode(opcode: 0xA, payload: payload, masked: false))
                case 0x1, 0x2: send(fd, WebSocketFrame.encode(opcode: opcode, payload: payload, masked: false))
                case 0x8:
                    send(fd, WebSocketFrame.encode(opcode: 0x8, payload: Array(payload.prefix(2)), masked: false))
                    return
                default: break
                }
            }
        }
    }

    private func respond(_ fd: Int32, _ status: Int, json: String) {
        let reason = [200: "OK", 400: "Bad Request", 404: "Not Found", 503: "Service Unavailable"][status] ?? "Error"
        let body = Array(json.utf8)
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        send(fd, Array(head.utf8) + body)
    }

    private func send(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    private func jsonString(_ s: String) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: [s], options: []),
              let text = String(data: data, encoding: .utf8) else { return "\"error\"" }
        return String(text.dropFirst().dropLast())
    }
}
