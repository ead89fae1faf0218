import CLibPQ
import Foundation

/// Checks a PostgreSQL target before anything connects, as libpq reads it.
public enum PostgresConnectionString {
    /// Why libpq cannot use `text` (a `postgres://` URL or `key=value`
    /// pairs), or nil when it can. A port outside 1–65535 is refused too,
    /// which libpq would only find when connecting.
    public static func problem(_ text: String) -> String? {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &error) else {
            defer { if let error { PQfreemem(error) } }
            let message = error.map { String(cString: $0) } ?? "libpq cannot read it"
            return PostgresError.oneLine(message)
        }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "port", let value = option.pointee.val {
                for port in String(cString: value).split(separator: ",") where !(Int(port).map { (1...65535).contains($0) } ?? false) {
                    return "port \(port) is not between 1 and 65535"
                }
            }
            option += 1
        }
        return nil
    }

    /// The options libpq reads in `text`, those given only (nil when it cannot read it).
    public static func options(_ text: String) -> [String: String]? {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &error) else {
            if let error { PQfreemem(error) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var out: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { out[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return out
    }
}
