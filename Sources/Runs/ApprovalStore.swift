import Foundation
import RunbookKit

/// Where approval requests and approvals travel: a shared folder, or a
/// team's `rbsh serve` (which keeps them in a folder of its own).
public protocol ApprovalStore: Sendable {
    /// Where, for messages: `the approvals folder PATH`, `rbsh serve at URL`.
    var place: String { get }
    /// Publishes a request; false when its code is taken (another is drawn).
    func publish(_ request: ApprovalRequest) throws(ConfigError) -> Bool
    /// Every approval of `code` there is, each with a name that changes when it does.
    func approvals(code: String) -> [(name: String, data: Data)]
    /// Gives the request up: `rbsh approve` refuses it from then on.
    func close(code: String, reason: String)
    /// The request `code`, while it is open.
    func request(code: String) throws(ConfigError) -> ApprovalRequest
    /// Adds a signed approval; where it went.
    func add(_ approval: Approval) throws(ConfigError) -> String
    /// Returns when something may have arrived, or after `seconds`.
    func pause(_ seconds: Double)
}

/// A folder: `CODE.request.json`, `CODE.PRINCIPAL.ID.approval`, `CODE.closed`.
public struct FolderApprovalStore: ApprovalStore {
    public let folder: String
    public var place: String { "the approvals folder \(folder)" }
    private let watch: FolderWatch?

    public init(folder: String, watching: Bool = false) {
        self.folder = folder
        watch = watching ? FolderWatch(folder) : nil
    }

    public func requestPath(_ code: String) -> String { "\(folder)/\(code).request.json" }
    func closedPath(_ code: String) -> String { "\(folder)/\(code).closed" }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }

    func failed(_ what: String) -> ConfigError { ConfigError("cannot \(what) \(place): \(String(cString: strerror(errno)))") }

    public func publish(_ request: ApprovalRequest) throws(ConfigError) -> Bool {
        if !FileManager.default.fileExists(atPath: folder) {
            guard mkdir(folder, 0o775) == 0 || errno == EEXIST else { throw failed("make") }
        }
        let fd = open(requestPath(request.code), O_WRONLY | O_CREAT | O_EXCL, 0o644)
        if fd < 0, errno == EEXIST { return false }
        guard fd >= 0 else { throw failed("write a request in") }
        let data = (try? Self.encoder.encode(request)) ?? Data()
        let ok = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count }
        Glibc.close(fd)
        guard ok else { throw failed("write a request in") }
        return true
    }

    public func approvals(code: String) -> [(name: String, data: Data)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var found: [(String, Data)] = []
        for name in names.sorted() where name.hasPrefix(code + ".") && name.hasSuffix(".approval") {
            guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { continue }
            found.append((name, data))
        }
        return found
    }

    public func close(code: String, reason: String) {
        try? Data((reason + "\n").utf8).write(to: URL(fileURLWithPath: closedPath(code)))
    }

    /// Why the request is closed, if it is.
    public func closedReason(_ code: String) -> String? {
        (try? String(contentsOfFile: closedPath(code), encoding: .utf8)).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    public func request(code: String) throws(ConfigError) -> ApprovalRequest {
        if let why = closedReason(code) { throw ConfigError("request \(code) is closed: \(why)") }
        guard let data = FileManager.default.contents(atPath: requestPath(code)) else {
            throw ConfigError("no request \(code) in \(place)")
        }
        guard let request = try? JSONDecoder().decode(ApprovalRequest.self, from: data), request.code == code else {
            throw ConfigError("request \(code) in \(place) is not an rbsh approval request")
        }
        return request
    }

    public func add(_ approval: Approval) throws(ConfigError) -> String {
        let code = approval.request.code
        let safe = String(approval.principal.map { $0.isLetter || $0.isNumber || "@.-_".contains($0) ? $0 : "_" })
        let path = "\(folder)/\(code).\(safe).\(UUID().uuidString.prefix(8).lowercased()).approval"
        // Written whole, then renamed: the waiting rbsh never reads half of it.
        let partial = "\(folder)/.\(code).\(safe).\(UUID().uuidString).partial"
        do {
            try Self.encoder.encode(approval).write(to: URL(fileURLWithPath: partial))
        } catch {
            throw ConfigError("cannot write the approval in \(place): \(error.localizedDescription)")
        }
        guard rename(partial, path) == 0 else {
            unlink(partial)
            throw failed("write the approval in")
        }
        return path
    }

    public func pause(_ seconds: Double) {
        if let watch { watch.wait(seconds) } else { Thread.sleep(forTimeInterval: seconds) }
    }
}
