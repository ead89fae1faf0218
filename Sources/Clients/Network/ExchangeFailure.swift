import Foundation

/// A request that failed, and how far it got: whether the peer accepted the
/// connection, and what it sent back before the failure.
///
/// These are the facts that tell a hung server (accepted, silent until the
/// deadline) from one that speaks another protocol (accepted, answered with
/// bytes that are not HTTP) and from one that is not there (not accepted).
public struct ExchangeFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var error: NetworkError
    /// The TCP connection was established.
    public var accepted: Bool
    /// What the peer sent before the failure, at most `receivedLimit` bytes.
    public var received: [UInt8]

    public static let receivedLimit = 256

    public init(_ error: NetworkError, accepted: Bool, received: [UInt8] = []) {
        self.error = error
        self.accepted = accepted
        self.received = Array(received.prefix(Self.receivedLimit))
    }

    public var description: String { error.description }

    /// The peer sent something, and it was not an HTTP answer.
    public var answeredOtherProtocol: Bool {
        guard case .protocolError = error, !received.isEmpty else { return false }
        return !received.starts(with: Array("HTTP/".utf8))
    }

    /// The first bytes the peer sent, printable: control bytes as `\xNN`.
    public var receivedPreview: String {
        var out = ""
        for b in received.prefix(64) {
            switch b {
            case 0x20...0x7E where b != 0x5C: out.append(Character(UnicodeScalar(b)))
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            default: out += String(format: "\\x%02x", b)
            }
        }
        return out
    }
}
