import Clients
import Foundation
import RunbookKit

/// A team's `rbsh serve` (`approvals.url`): `POST /approvals` publishes a
/// request, adds an approval or closes a request (by what the body holds);
/// `GET /approvals/CODE` answers `{"request", "approvals": [{"name", "body"}], "closed"}`.
public struct ServeApprovalStore: ApprovalStore {
    public let url: String
    let token: String?
    static let timeout = 5.0

    public init(url: String, token: String?) {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.token = token
    }

    public var place: String { "rbsh serve at \(url)" }

    var headers: [String: String] {
        var h = ["Content-Type": "application/json"]
        if let token { h["Authorization"] = "Bearer \(token)" }
        return h
    }

    /// What the server keeps of a request.
    public struct Entry: Codable, Sendable {
        var request: ApprovalRequest?
        var approvals: [Named]?
        var closed: String?
        var code: String?
        public struct Named: Codable, Sendable {
            var name: String
            var body: String
            public init(name: String, body: String) {
                self.name = name
                self.body = body
            }
        }

        public init(request: ApprovalRequest? = nil, approvals: [Named]? = nil, closed: String? = nil, code: String? = nil) {
            self.request = request
            self.approvals = approvals
            self.closed = closed
            self.code = code
        }
    }

    func post(_ body: some Encodable) throws(ConfigError) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(body) else { throw ConfigError("cannot encode what goes to \(place)") }
        do {
            return try HTTPClient.request(
                method: "POST", url: url + "/approvals", headers: headers, body: Array(data), timeout: Self.timeout)
        } catch {
            throw ConfigError("\(place): \(error)")
        }
    }

    func refused(_ r: HTTPResponse) -> ConfigError {
        let said = (try? JSONDecoder().decode([String: String].self, from: Data(r.body)))?["error"] ?? r.bodyText
        return ConfigError("\(place) answered \(r.status): \(said.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    public func publish(_ request: ApprovalRequest) throws(ConfigError) -> Bool {
        let r = try post(Entry(request: request))
        if r.status == 409 { return false }
        guard r.status == 201 || r.status == 200 else { throw refused(r) }
        return true
    }

    func entry(_ code: String) throws(ConfigError) -> Entry {
        let r: HTTPResponse
        do { r = try HTTPClient.request(url: url + "/approvals/\(code)", headers: headers, timeout: Self.timeout) } catch {
            throw ConfigError("\(place): \(error)")
        }
        if r.status == 404 { throw ConfigError("no request \(code) in \(place)") }
        guard r.status == 200, let e = try? JSONDecoder().decode(Entry.self, from: Data(r.body)) else { throw refused(r) }
        return e
    }

    public func approvals(code: String) -> [(name: String, data: Data)] {
        ((try? entry(code))?.approvals ?? []).map { ($0.name, Data($0.body.utf8)) }
    }

    public func close(code: String, reason: String) {
        _ = try? post(Entry(closed: reason, code: code))
    }

    public func request(code: String) throws(ConfigError) -> ApprovalRequest {
        let e = try entry(code)
        if let why = e.closed { throw ConfigError("request \(code) is closed: \(why)") }
        guard let request = e.request, request.code == code else { throw ConfigError("no request \(code) in \(place)") }
        return request
    }

    public func add(_ approval: Approval) throws(ConfigError) -> String {
        let r = try post(approval)
        guard r.status == 201 || r.status == 200 else { throw refused(r) }
        return place
    }

    public func pause(_ seconds: Double) { Thread.sleep(forTimeInterval: max(seconds, 0.2)) }
}
