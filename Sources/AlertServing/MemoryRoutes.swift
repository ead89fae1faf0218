import Clients
import Foundation
import Hummingbird
import IncidentMemory
import Logging
import RunbookKit
import Runs

/// A team's memory on `rbsh serve`: operators' rbsh send their finished
/// transcripts (`POST /transcripts`), stored once by SHA-256 and indexed
/// with the server's own runs; `GET /recall` answers as `rbsh recall` does.
enum MemoryRoutes {
    static func add(
        to router: Router<BasicRequestContext>, memory: SessionMemory, folder: String, token: String, maxBytes: Int, logger: Logger
    ) {
        router.post("/transcripts") { request, _ -> Response in
            guard AlertServer.authorized(request, token: token) else { return AlertServer.unauthorized(request, logger: logger) }
            let tooLarge = AlertServer.json(.contentTooLarge, #"{"error":"the transcript is over \#(maxBytes) bytes"}"#)
            if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes { return tooLarge }
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: maxBytes) } catch { return tooLarge }
            let data = Data(buffer.readableBytesView)
            return store(data, memory: memory, folder: folder, logger: logger)
        }
        router.get("/recall") { request, _ -> Response in
            guard AlertServer.authorized(request, token: token) else { return AlertServer.unauthorized(request, logger: logger) }
            let query = request.uri.queryParameters
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let causes = query[values: "cause"].map(String.init)
            do {
                if !causes.isEmpty {
                    let said = memory.recall(causes, excluding: query[values: "exclude"].map(String.init))
                    return AlertServer.json(.ok, String(decoding: try encoder.encode(said), as: UTF8.self))
                }
                guard let text = query["q"].map(String.init), !text.isEmpty else {
                    return AlertServer.json(.badRequest, #"{"error":"ask ?q=FINDING|RUNBOOK|TEXT, or ?cause=RUNBOOK/ID (repeated)"}"#)
                }
                let since = query["since"].flatMap { SessionMemory.since(String($0)) }
                let limit = query["limit"].flatMap { Int($0) } ?? 10
                let matches = try memory.search(
                    text, runbooks: { RunbookCatalogue.summaries(directories: []) }, since: since, limit: min(max(limit, 1), 500))
                return AlertServer.json(.ok, String(decoding: try encoder.encode(matches), as: UTF8.self))
            } catch {
                return AlertServer.json(.serviceUnavailable, #"{"error":\#(AlertServer.quote("\(error)"))}"#)
            }
        }
    }

    /// A sent transcript: validated as an rbsh transcript, stored once by its
    /// SHA-256 under `folder/received/`, and indexed.
    static func store(_ data: Data, memory: SessionMemory, folder: String, logger: Logger) -> Response {
        let header: TranscriptHeader
        do { header = try Transcript.parse(data, path: "the transcript").header } catch {
            return AlertServer.json(.badRequest, #"{"error":\#(AlertServer.quote(error.description))}"#)
        }
        guard let sha = FileDigest.sha256(data) else { return AlertServer.json(.internalServerError, #"{"error":"no SHA-256"}"#) }
        let dir = folder + "/received"
        let path = dir + "/\(sha).jsonl"
        var stored = false
        if !FileManager.default.fileExists(atPath: path) {
            let temporary = dir + "/.\(sha).\(UUID().uuidString)"
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try data.write(to: URL(fileURLWithPath: temporary))
                // One name a content: of two senders at once, the second rename replaces the same bytes.
                guard rename(temporary, path) == 0 else { throw MemoryError("cannot keep \(path): \(String(cString: strerror(errno)))") }
                stored = true
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                logger.error("a sent transcript was not kept", metadata: ["error": "\(error)"])
                return AlertServer.json(.internalServerError, #"{"error":\#(AlertServer.quote("\(error)"))}"#)
            }
        }
        guard let index = memory.index else {
            return AlertServer.json(.serviceUnavailable, #"{"error":\#(AlertServer.quote(memory.problem ?? "the memory is off"))}"#)
        }
        do { try index.add(path: path) } catch {
            return AlertServer.json(.internalServerError, #"{"error":\#(AlertServer.quote(error.description))}"#)
        }
        logger.info(
            "transcript received",
            metadata: ["sha256": "\(sha)", "from": "\(header.user ?? "?")@\(header.host ?? "?")", "new": "\(stored)"])
        return AlertServer.json(stored ? .created : .ok, #"{"sha256":"\#(sha)","stored":\#(stored)}"#)
    }
}
