import COpenSSL
import Foundation

/// SHA-256 by OpenSSL: a resumed transcript names the one it continues and
/// its digest as it was then; each transcript line carries the previous one's.
public enum FileDigest {
    /// Lower-case hex, or nil when the file cannot be read.
    public static func sha256(path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return sha256(data)
    }

    /// Lower-case hex of `data`'s SHA-256; nil only if OpenSSL fails.
    public static func sha256(_ data: some ContiguousBytes) -> String? {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        let ok = data.withUnsafeBytes { raw in
            digest.withUnsafeMutableBufferPointer { out in COpenSSL_sha256(raw.baseAddress, raw.count, out.baseAddress) }
        }
        guard ok == 1 else { return nil }
        return hex(digest)
    }

    private static let digits = Array("0123456789abcdef".utf8)

    /// Lower-case hex of `bytes`.
    public static func hex(_ bytes: some Collection<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var i = 0
            for b in bytes {
                out[i] = digits[Int(b >> 4)]
                out[i + 1] = digits[Int(b & 0x0F)]
                i += 2
            }
            return i
        }
    }
}
