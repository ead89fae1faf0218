import Clients
import Foundation

/// The hash chain that makes a transcript tamper-evident.
///
/// Every line after the header begins with the SHA-256 of the line before it
/// (its bytes, without the newline) and its sequence number, before any
/// other key: `{"prev":"<64 hex>","seq":7,"type":…}`. The last line of a
/// finished session is its seal: the same two keys, `"type":"seal"`, the
/// transcript's id, optionally an SSH signature of the seal's message, and
/// last `"seal"`, the SHA-256 of the seal line up to that key. Changing,
/// removing or moving any line breaks the chain at the first line after it.
public enum TranscriptChain {
    /// The SHA-256 namespace of a seal's SSH signature (`ssh-keygen -Y -n`).
    public static let sealNamespace = "rbsh-transcript"

    /// Lower-case hex SHA-256 of one line's bytes.
    public static func hash(_ line: some ContiguousBytes) -> String {
        FileDigest.sha256(line) ?? String(repeating: "0", count: 64)
    }

    /// The hash of line `n` (1-based) of `data`; nil when it has fewer whole lines.
    public static func hash(ofLine n: Int, in data: Data) -> String? {
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        guard n >= 1, n < lines.count else { return nil }
        return hash(Data(lines[n - 1]))
    }

    /// `{"prev":"H","seq":N,` followed by the rest of `object` (a JSON object's bytes).
    static func link(_ object: Data, prev: String, seq: Int) -> Data {
        var line = Data(#"{"prev":""#.utf8)
        line.append(contentsOf: prev.utf8)
        line.append(contentsOf: #"","seq":\#(seq)"#.utf8)
        // `{}` has nothing more; anything else goes on after a comma.
        if object.count > 2 { line.append(0x2C) }
        line.append(object.dropFirst())
        return line
    }

    /// What a seal signs: the transcript's id, how many lines it seals and the last one's hash.
    public static func sealMessage(id: String, lines: Int, last: String) -> Data {
        Data("rbsh transcript seal\nid \(id)\nlines \(lines)\nlast \(last)\n".utf8)
    }

    /// The seal line (no newline) after `lines` lines, the last of which hashes to `prev`.
    static func seal(id: String, prev: String, seq: Int, time: String, signature: SealSignature?, unsigned: String?) -> Data {
        var body: [String: String] = ["type": "seal", "id": id, "time": time]
        if let signature {
            body["principal"] = signature.principal
            body["signature"] = signature.armored
        }
        if let unsigned { body["unsigned"] = unsigned }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let object = (try? encoder.encode(body)) ?? Data("{}".utf8)
        var line = link(object.dropLast(), prev: prev, seq: seq)  // open: the seal's own hash goes last
        line.append(contentsOf: #","seal":""#.utf8)
        let own = hash(line)
        line.append(contentsOf: own.utf8)
        line.append(contentsOf: #""}"#.utf8)
        return line
    }
}

/// A seal's signature: who signed, and `ssh-keygen -Y sign`'s armored output.
public struct SealSignature: Sendable, Hashable {
    public var principal: String
    public var armored: String
    public init(principal: String, armored: String) {
        self.principal = principal
        self.armored = armored
    }
}

/// Signs a finished transcript's seal (an operator's SSH key); nil-free:
/// a signer that cannot sign throws, and the seal is then hash-only, saying why.
public protocol TranscriptSigner: Sendable {
    func sign(_ message: Data, namespace: String) throws -> SealSignature
}
