import AlertReceiving
import Foundation
import Hummingbird
import Logging

/// The rules in force, swapped whole when SIGHUP reloads the config.
final class RuleBox: @unchecked Sendable {
    private let lock = NSLock()
    private var current: [AlertRule]
    init(_ rules: [AlertRule]) { current = rules }
    var rules: [AlertRule] {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }
}

/// `rbsh serve`'s HTTP side: Alertmanager's webhook, the runs, a health check.
enum AlertServer {
    static func router(queue: AlertRunQueue, rules: RuleBox, token: String, maxBody: Int, logger: Logger) -> Router<BasicRequestContext> {
        let router = Router()
        // One line per request (never its headers: the token is one).
        router.middlewares.add(LogRequestsMiddleware(.info))
        router.get("/healthz") { _, _ -> Response in json(.ok, #"{"status":"ok"}"#) }
        router.get("/runs") { request, _ -> Response in
            guard authorized(request, token: token) else { return unauthorized(request, logger: logger) }
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let runs = (try? encoder.encode(Array(queue.runs.suffix(200)))) ?? Data("[]".utf8)
            return json(.ok, String(decoding: runs, as: UTF8.self))
        }
        router.post("/alertmanager") { request, _ -> Response in
            guard authorized(request, token: token) else { return unauthorized(request, logger: logger) }
            // Over the limit is refused from the header, before the body is read.
            if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBody {
                logger.notice("body over the limit", metadata: ["bytes": "\(length)", "limit": "\(maxBody)"])
                return json(.contentTooLarge, #"{"error":"the body is over \#(maxBody) bytes"}"#)
            }
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: maxBody) } catch {
                return json(.contentTooLarge, #"{"error":"the body is over \#(maxBody) bytes"}"#)
            }
            let notification: AlertmanagerNotification
            do { notification = try AlertmanagerNotification.decode(Data(buffer.readableBytesView)) } catch let error as AlertError {
                logger.notice("not a notification", metadata: ["error": "\(error.description)"])
                return json(.badRequest, #"{"error":\#(quote(error.description))}"#)
            }
            let admission = queue.admit(notification, rules: rules.rules)
            var meta: Logger.Metadata = ["group_key": "\(notification.groupKey)", "status": "\(notification.status)"]
            switch admission {
            case .queued(let id):
                meta["run"] = "\(id)"
                logger.info("alert accepted: run queued", metadata: meta)
                return json(.accepted, #"{"run":\#(quote(id))}"#)
            case .duplicate(let id):
                meta["run"] = "\(id)"
                logger.info("alert repeated within the dedup window: nothing new", metadata: meta)
                return json(.accepted, #"{"duplicate_of":\#(quote(id))}"#)
            case .resolved(let id):
                meta["run"] = "\(id ?? "none")"
                logger.info("alert resolved", metadata: meta)
                return json(.accepted, #"{"resolved":\#(id.map(quote) ?? "null")}"#)
            case .unmatched:
                meta["labels"] =
                    "\(notification.commonLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))"
                logger.notice("no rule matches the alert", metadata: meta)
                return json(.accepted, #"{"matched":false}"#)
            case .full(let why):
                logger.warning("queue full: Alertmanager will retry", metadata: meta.merging(["why": "\(why)"]) { a, _ in a })
                return json(.serviceUnavailable, #"{"error":\#(quote(why))}"#)
            case .stopping:
                return json(.serviceUnavailable, #"{"error":"rbsh serve is stopping"}"#)
            }
        }
        return router
    }

    /// `Authorization: Bearer TOKEN`, compared in constant time.
    static func authorized(_ request: Request, token: String) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        return constantTimeEqual(Array(header.dropFirst("Bearer ".count).utf8), Array(token.utf8))
    }

    /// Equal bytes, in time that depends on the lengths only.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) { diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return diff == 0
    }

    static func unauthorized(_ request: Request, logger: Logger) -> Response {
        logger.notice("refused: no or wrong token", metadata: ["path": "\(request.uri.path)"])
        return json(.unauthorized, #"{"error":"a bearer token is required"}"#)
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body + "\n")))
    }

    static func quote(_ s: String) -> String {
        let data = (try? JSONEncoder().encode(s)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
