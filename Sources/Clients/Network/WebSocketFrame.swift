import Foundation

/// WebSocket frames (RFC 6455 §5.2): enough for a handshake check and ping/pong.
public enum WebSocketFrame {
    /// One whole frame from the front of `data`: its opcode, unmasked payload
    /// and how many bytes it took; nil until a whole frame is there.
    public static func parse(_ data: [UInt8]) -> (opcode: UInt8, payload: [UInt8], used: Int)? {
        guard data.count >= 2 else { return nil }
        let opcode = data[0] & 0x0F
        let masked = data[1] & 0x80 != 0
        var length = Int(data[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard data.count >= 4 else { return nil }
            length = Int(data[2]) << 8 | Int(data[3])
            offset = 4
        } else if length == 127 {
            guard data.count >= 10 else { return nil }
            length = 0
            for i in 2..<10 { length = length << 8 | Int(data[i]) }
            offset = 10
            guard length >= 0, length < 1 << 26 else { return nil }
        }
        var mask: [UInt8] = []
        if masked {
            guard data.count >= offset + 4 else { return nil }
            mask = Array(data[offset..<offset + 4])
            offset += 4
        }
        guard data.count >= offset + length else { return nil }
        var payload = Array(data[offset..<offset + length])
        if masked { for i in payload.indices { payload[i] ^= mask[i % 4] } }
        return (opcode, payload, offset + length)
    }

    /// A final frame; clients must mask, servers must not.
    public static func encode(opcode: UInt8, payload: [UInt8], masked: Bool) -> [UInt8] {
        var frame: [UInt8] = [0x80 | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            frame.append(maskBit | UInt8(payload.count))
        } else if payload.count < 65_536 {
            frame += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(maskBit | 127)
            for i in (0..<8).reversed() { frame.append(UInt8((payload.count >> (i * 8)) & 0xFF)) }
        }
        if masked {
            var g = SystemRandomNumberGenerator()
            let mask = (0..<4).map { _ in UInt8.random(in: 0...255, using: &g) }
            frame += mask
            frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        } else {
            frame += payload
        }
        return frame
    }
}
