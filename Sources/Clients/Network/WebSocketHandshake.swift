import COpenSSL
import Foundation

/// The parts of RFC 6455 both the WebSocket check and the lab's stub need.
public enum WebSocketHandshake {
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64 of SHA-1 over
    /// the key and the RFC's GUID. SHA-1 is what the RFC fixes here; it
    /// guards against nothing and is used for nothing else.
    public static func accept(forKey key: String) -> String {
        Data(sha1(Array((key + guid).utf8))).base64EncodedString()
    }

    /// OpenSSL's one-shot SHA-1.
    static func sha1(_ message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        message.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { out in
                _ = SHA1(input.baseAddress, input.count, out.baseAddress)
            }
        }
        return digest
    }
}
