import Foundation

/// The WebSocket upgrade an agent makes to /ws: a 101 with the right
/// Sec-WebSocket-Accept, its latency, and optionally a ping answered by a pong.
public enum WebSocketProbe {
    public struct Outcome: Sendable, Hashable {
        public var status: Int
        public var acceptValid: Bool
        public var handshakeMilliseconds: Double
        public var pongMilliseconds: Double?
        public var certificate: CertificateReport?
    }

    public static func check(
        url: String, ping: Bool, timeout: Double, caFile: String? = nil,
        interrupted: @Sendable () -> Bool = { false }
    ) throws(ExchangeFailure) -> Outcome {
        let target: HTTPClient.Target
        do { target = try HTTPClient.Target(url: url) } catch { throw ExchangeFailure(error, accepted: false) }
        guard target.scheme == "ws" || target.scheme == "wss" || target.scheme == "http" || target.scheme == "https" else {
            throw ExchangeFailure(.badAddress("`\(url)` is not a ws:// or wss:// URL"), accepted: false)
        }
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int(timeout * 1000))
        let stream = try HTTPClient.open(target, timeout: timeout, deadline: deadline, caFile: caFile, interrupted: interrupted)
        var data: [UInt8] = []
        do {
            return try upgrade(
                stream, target: target, ping: ping, started: started, deadline: deadline, data: &data, interrupted: interrupted)
        } catch {
            throw ExchangeFailure(error, accepted: true, received: data)
        }
    }

    private static func upgrade(
        _ stream: any ByteStream, target: HTTPClient.Target, ping: Bool, started: ContinuousClock.Instant,
        deadline: ContinuousClock.Instant, data: inout [UInt8], interrupted: @Sendable () -> Bool
    ) throws(NetworkError) -> Outcome {
        var g = SystemRandomNumberGenerator()
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }).base64EncodedString()
        let request =
            "GET \(target.path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\nUser-Agent: rbsh\r\n\r\n"
        try stream.write(Array(request.utf8), deadline: deadline)
        while data.firstRange(of: [13, 10, 13, 10]) == nil {
            let chunk = try stream.read(deadline: deadline, interrupted: interrupted)
            if chunk.isEmpty { break }
            data += chunk
            if data.count > 65_536 { break }
        }
        let response = try HTTPClient.parse(data, method: "HEAD")
        let handshake = ms(ContinuousClock.now - started)
        let acceptValid = response.headers["sec-websocket-accept"] == WebSocketHandshake.accept(forKey: key)
        var outcome = Outcome(
            status: response.status, acceptValid: acceptValid, handshakeMilliseconds: handshake,
            pongMilliseconds: nil, certificate: (stream as? TLSStream)?.certificate)
        guard ping, response.status == 101, acceptValid else { return outcome }
        // Bytes after the headers already belong to frames.
        var pending: [UInt8] = []
        if let end = data.firstRange(of: [13, 10, 13, 10]) { pending = Array(data[end.upperBound...]) }
        let pingAt = ContinuousClock.now
        let payload = Array("rbsh".utf8)
        try stream.write(WebSocketFrame.encode(opcode: 0x9, payload: payload, masked: true), deadline: deadline)
        while true {
            while let frame = WebSocketFrame.parse(pending) {
                pending.removeFirst(frame.used)
                if frame.opcode == 0xA {
                    outcome.pongMilliseconds = ms(ContinuousClock.now - pingAt)
                    try? stream.write(WebSocketFrame.encode(opcode: 0x8, payload: [0x03, 0xE8], masked: true), deadline: deadline)
                    return outcome
                }
                if frame.opcode == 0x8 { throw .protocolError("the server closed the WebSocket instead of answering the ping") }
            }
            let chunk = try stream.read(deadline: deadline, interrupted: interrupted)
            if chunk.isEmpty { throw .protocolError("the server closed the connection instead of answering the ping") }
            pending += chunk
        }
    }

    static func ms(_ d: Duration) -> Double { d.milliseconds }
}
