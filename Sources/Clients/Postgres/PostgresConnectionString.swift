import CLibPQ
import Foundation

/// Checks a PostgreSQL target before anything connects, as libpq reads it.
public enum PostgresConnectionString {
    /// Why libpq cannot use `text` (a `postgres://` URL or `key=value`
    /// pairs), or nil when it can. A port outside 1–65535 is refused too,
    /// which libpq would only find when connecting.
    public static func problem(_ text: String) -> String? {
        switch parse(text) {
        case .failure(let unreadable): return unreadable.message
        case .success(let options):
            for port in (options["port"] ?? "").split(separator: ",") where !(Int(port).map { (1...65535).contains($0) } ?? false) {
                return "port \(port) is not between 1 and 65535"
            }
            return nil
        }
    }

    /// The options libpq reads in `text`, those given only (nil when it cannot read it).
    public static func options(_ text: String) -> [String: String]? {
        try? parse(text).get()
    }

    /// What PQconninfoParse reads in `text`: the options given, or why it cannot read it, in one line.
    private static func parse(_ text: String) -> Result<[String: String], Unreadable> {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &error) else {
            defer { if let error { PQfreemem(error) } }
            return .failure(Unreadable(message: PostgresError.oneLine(error.map { String(cString: $0) } ?? "libpq cannot read it")))
        }
        defer { PQconninfoFree(options) }
        var out: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { out[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return .success(out)
    }

    private struct Unreadable: Error {
        var message: String
    }
}
