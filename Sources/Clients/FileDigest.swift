import COpenSSL
import Foundation

/// SHA-256 of a file, by OpenSSL: a resumed transcript names the one it
/// continues and its digest as it was then.
public enum FileDigest {
    /// Lower-case hex, or nil when the file cannot be read.
    public static func sha256(path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return sha256(data)
    }

    /// Lower-case hex of `data`'s SHA-256; nil only if OpenSSL fails.
    public static func sha256(_ data: Data) -> String? {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { raw in
            digest.withUnsafeMutableBufferPointer { out in
                EVP_Digest(raw.baseAddress, raw.count, out.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        guard ok == 1 else { return nil }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
