import Clients
import Foundation
import IncidentMemory

/// A team's memory on `rbsh serve` (`memory.url` in the config): each
/// finished transcript goes into an outbox beside the index and is sent by
/// `rbsh recall push`, started detached at the session's end, so a server
/// that is away never holds a session up; what is not sent stays queued and
/// goes with the next push. The server's answers are added to the local ones.
public struct TeamMemory: Sendable {
    public let url: String
    let token: String?
    /// Queued transcripts: one file each, holding the transcript's path.
    public let outbox: String
    /// The config file that named the server, for the push to read it again.
    let config: String?

    /// How long the server has to answer a recall: the diagnosis does not wait longer.
    static let askTimeout = 1.5
    static let sendTimeout = 10.0

    public init(url: String, token: String?, besideIndex index: String, config: String?) {
        self.config = config.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.token = token
        outbox = (index as NSString).deletingLastPathComponent + "/outbox"
    }

    var headers: [String: String] { token.map { ["Authorization": "Bearer \($0)"] } ?? [:] }

    /// Queues `transcript` to be sent.
    public func queue(_ transcript: String) throws(MemoryError) {
        let path = URL(fileURLWithPath: transcript).standardizedFileURL.path
        do {
            try FileManager.default.createDirectory(atPath: outbox, withIntermediateDirectories: true)
            try Data(path.utf8).write(to: URL(fileURLWithPath: outbox + "/\(UUID().uuidString).path"))
        } catch {
            throw MemoryError("cannot queue \(path) for \(url): \(error.localizedDescription)")
        }
    }

    /// Starts `rbsh recall push` (with the same config) in a session of its own, not waited for.
    public func pushDetached() {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let p = Process()
        let setsid = "/usr/bin/setsid"
        let push = ["recall", "push"] + (config.map { ["--config", $0] } ?? [])
        if FileManager.default.isExecutableFile(atPath: setsid) {
            p.executableURL = URL(fileURLWithPath: setsid)
            p.arguments = [exe] + push
        } else {
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = push
        }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try? p.run()
    }

    /// What one push did.
    public struct Pushed: Sendable {
        public var sent = 0
        /// Refused by the server for good (not a transcript, too large): moved aside, with why.
        public var refused: [String] = []
        /// Still queued: the server is away or failed; why, once.
        public var left = 0
        public var why: String?
    }

    /// Sends every queued transcript; stops at the first that cannot reach the server.
    public func push() -> Pushed {
        var out = Pushed()
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []).filter { $0.hasSuffix(".path") }.sorted()
        for (n, entry) in entries.enumerated() {
            let file = outbox + "/" + entry
            // Another push took it meanwhile.
            guard let path = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                out.refused.append("\(path): cannot be read")
                try? FileManager.default.removeItem(atPath: file)
                continue
            }
            do {
                let answer = try HTTPClient.request(
                    method: "POST", url: url + "/transcripts",
                    headers: headers.merging(["Content-Type": "application/x-ndjson"]) { a, _ in a },
                    body: Array(data), timeout: Self.sendTimeout)
                switch answer.status {
                case 200, 201:
                    out.sent += 1
                    try? FileManager.default.removeItem(atPath: file)
                case 400, 413:
                    out.refused.append("\(path): \(answer.status) \(answer.bodyText.trimmingCharacters(in: .whitespacesAndNewlines))")
                    try? FileManager.default.removeItem(atPath: file)
                default:
                    out.why = "\(url) answered \(answer.status)"
                    out.left = entries.count - n
                    return out
                }
            } catch {
                out.why = "\(url): \(error)"
                out.left = entries.count - n
                return out
            }
        }
        return out
    }

    /// What the server says of `causes`; nil when it cannot be asked now.
    public func recall(_ causes: [String], excluding: [String]) -> [String: CauseRecall]? {
        var items = causes.map { URLQueryItem(name: "cause", value: $0) }
        items += excluding.map { URLQueryItem(name: "exclude", value: $0) }
        var c = URLComponents()
        c.queryItems = items
        guard let query = c.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B"),
            let answer = try? HTTPClient.request(url: url + "/recall?" + query, headers: headers, timeout: Self.askTimeout),
            answer.status == 200
        else { return nil }
        return try? JSONDecoder().decode([String: CauseRecall].self, from: Data(answer.body))
    }
}
