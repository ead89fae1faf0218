import Foundation

/// An HTTP response: status, headers (lower-cased names) and body.
public struct HTTPResponse: Sendable, Hashable {
    public var status: Int
    public var reason: String
    public var headers: [String: String]
    public var body: [UInt8]
    public var latencyMilliseconds: Double

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A minimal HTTP/1.1 client for probes: one request per connection,
/// `Connection: close`, bounded by a deadline, body capped.
public enum HTTPClient {
    public struct Target: Sendable, Hashable {
        public var scheme: String
        public var host: String
        public var port: Int
        public var path: String

        public init(url: String) throws(NetworkError) {
            guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), let host = c.host, !host.isEmpty else {
                throw .badAddress("`\(url)` is not a URL such as http://127.0.0.1:8000/api/v1/health")
            }
            guard ["http", "https", "ws", "wss"].contains(scheme) else { throw .badAddress("scheme `\(scheme)` is not http or https") }
            self.scheme = scheme
            self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            self.port = c.port ?? (scheme == "https" || scheme == "wss" ? 443 : 80)
            let query = c.percentEncodedQuery.map { "?\($0)" } ?? ""
            self.path = (c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath) + query
        }

        var hostHeader: String {
            let h = host.contains(":") ? "[\(host)]" : host
            return (port == 80 && scheme == "http") || (port == 443 && scheme == "https") ? h : "\(h):\(port)"
        }
    }

    public static let bodyLimit = 4 << 20

    public static func request(
        method: String = "GET", url: String, headers: [String: String] = [:], body: [UInt8]? = nil, timeout: Double,
        caFile: String? = nil, interrupted: @Sendable () -> Bool = { false }
    ) throws(NetworkError) -> HTTPResponse {
        do {
            return try exchange(
                method: method, url: url, headers: headers, body: body, timeout: timeout, caFile: caFile, interrupted: interrupted)
        } catch {
            throw error.error
        }
    }

    /// The same request, failing with how far it got: whether the peer
    /// accepted the connection and what it sent back (a probe tells a hung
    /// server from another protocol's by these).
    public static func exchange(
        method: String = "GET", url: String, headers: [String: String] = [:], body: [UInt8]? = nil, timeout: Double,
        caFile: String? = nil, interrupted: @Sendable () -> Bool = { false }
    ) throws(ExchangeFailure) -> HTTPResponse {
        let target: Target
        do { target = try Target(url: url) } catch { throw ExchangeFailure(error, accepted: false) }
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int(timeout * 1000))
        let socket = try open(target, timeout: timeout, deadline: deadline, caFile: caFile, interrupted: interrupted)
        var head =
            "\(method) \(target.path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nUser-Agent: rbsh\r\nAccept: */*\r\nConnection: close\r\n"
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { head += "\(k): \(v)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        var data: [UInt8] = []
        do {
            try socket.write(Array(head.utf8) + (body ?? []), deadline: deadline)
            while data.count < bodyLimit + 65_536 {
                let chunk = try socket.read(deadline: deadline, interrupted: interrupted)
                if chunk.isEmpty { break }
                data += chunk
                if method == "HEAD", data.firstRange(of: [13, 10, 13, 10]) != nil { break }
            }
            var response = try parse(data, method: method)
            let d = ContinuousClock.now - started
            response.latencyMilliseconds = d.milliseconds
            return response
        } catch {
            throw ExchangeFailure(error, accepted: true, received: data)
        }
    }

    /// A connection to the target: TLS (certificate verified) for https and
    /// wss. Fails as not accepted when TCP did not connect, accepted when TLS failed.
    static func open(
        _ target: Target, timeout: Double, deadline: ContinuousClock.Instant, caFile: String? = nil,
        interrupted: @Sendable () -> Bool
    ) throws(ExchangeFailure) -> any ByteStream {
        let socket: TCPSocket
        do {
            socket = try TCPSocket.connect(host: target.host, port: target.port, timeout: timeout, interrupted: interrupted)
        } catch {
            throw ExchangeFailure(error, accepted: false)
        }
        guard target.scheme == "https" || target.scheme == "wss" else { return socket }
        do {
            return try TLSStream(
                socket: socket, serverName: target.host, requireValid: true, deadline: deadline, caFile: caFile,
                interrupted: interrupted)
        } catch {
            throw ExchangeFailure(error, accepted: true)
        }
    }

    static func parse(_ data: [UInt8], method: String) throws(NetworkError) -> HTTPResponse {
        guard let split = data.firstRange(of: [13, 10, 13, 10]) else {
            throw .protocolError(data.isEmpty ? "the server closed the connection without answering" : "the answer is not HTTP")
        }
        let headText = String(decoding: data[..<split.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw .protocolError("the answer is not HTTP: `\(statusLine.prefix(60))`")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true { body = dechunk(body) }
        return HTTPResponse(
            status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: headers,
            body: method == "HEAD" ? [] : body, latencyMilliseconds: 0)
    }

    static func dechunk(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = data.startIndex
        while i < data.endIndex {
            guard let lineEnd = data[i...].firstRange(of: [13, 10]) else { break }
            let sizeText = String(decoding: data[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            let end = min(start + size, data.endIndex)
            out += data[start..<end]
            i = min(end + 2, data.endIndex)
        }
        return out
    }
}
