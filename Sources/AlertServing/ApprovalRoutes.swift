import Foundation
import Hummingbird
import Logging
import RunbookKit
import Runs

/// Approvals through `rbsh serve`, for operators who share no folder: the
/// waiting rbsh publishes its request and reads the approvals, `rbsh approve`
/// reads the request and adds one, all kept in a folder of the server's laid
/// out as a shared folder is. The server only carries them: each rbsh checks
/// every approval itself, against its own allowed_signers.
enum ApprovalRoutes {
    static let maxBody = 64 << 10

    static func add(to router: Router<BasicRequestContext>, folder: String, token: String, logger: Logger) {
        let store = FolderApprovalStore(folder: folder)
        router.post("/approvals") { request, _ -> Response in
            guard AlertServer.authorized(request, token: token) else { return AlertServer.unauthorized(request, logger: logger) }
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: maxBody) } catch {
                return AlertServer.json(.contentTooLarge, #"{"error":"the body is over \#(maxBody) bytes"}"#)
            }
            return post(Data(buffer.readableBytesView), store: store, logger: logger)
        }
        router.get("/approvals/{code}") { request, context -> Response in
            guard AlertServer.authorized(request, token: token) else { return AlertServer.unauthorized(request, logger: logger) }
            let code = context.parameters.get("code") ?? ""
            return get(code.uppercased(), store: store)
        }
    }

    /// A request (`{"request"}`), an approval (`{"request", "principal", "approved_at", "signature"}`)
    /// or a request given up (`{"code", "closed"}`).
    static func post(_ data: Data, store: FolderApprovalStore, logger: Logger) -> Response {
        func refuse(_ status: HTTPResponse.Status, _ message: String) -> Response {
            AlertServer.json(status, #"{"error":\#(AlertServer.quote(message))}"#)
        }
        if let approval = try? JSONDecoder().decode(Approval.self, from: data) {
            do {
                guard try store.request(code: approval.request.code) == approval.request else {
                    return refuse(.conflict, "it approves another request than \(approval.request.code) as it was made")
                }
                let name = try store.add(approval)
                logger.info("approval added", metadata: ["code": "\(approval.request.code)", "principal": "\(approval.principal)"])
                return AlertServer.json(.created, #"{"stored":\#(AlertServer.quote((name as NSString).lastPathComponent))}"#)
            } catch {
                return refuse(error.description.hasPrefix("no request") ? .notFound : .conflict, error.description)
            }
        }
        struct Closing: Decodable {
            var code: String
            var closed: String
        }
        if let closing = try? JSONDecoder().decode(Closing.self, from: data) {
            store.close(code: closing.code, reason: closing.closed)
            return AlertServer.json(.ok, #"{"closed":\#(AlertServer.quote(closing.code))}"#)
        }
        struct Publishing: Decodable { var request: ApprovalRequest }
        guard let published = try? JSONDecoder().decode(Publishing.self, from: data) else {
            return refuse(.badRequest, "not an approval request, an approval, or a request given up")
        }
        do {
            guard try store.publish(published.request) else { return refuse(.conflict, "request \(published.request.code) exists") }
        } catch {
            return refuse(.internalServerError, error.description)
        }
        logger.info(
            "approval requested", metadata: ["code": "\(published.request.code)", "remediation": "\(published.request.remediation)"])
        return AlertServer.json(.created, #"{"code":\#(AlertServer.quote(published.request.code))}"#)
    }

    static func get(_ code: String, store: FolderApprovalStore) -> Response {
        let request: ApprovalRequest
        var closed: String?
        do {
            request = try store.request(code: code)
        } catch {
            // A closed request is still shown, with why it closed.
            guard let why = store.closedReason(code), let data = FileManager.default.contents(atPath: store.requestPath(code)),
                let r = try? JSONDecoder().decode(ApprovalRequest.self, from: data)
            else {
                return AlertServer.json(.notFound, #"{"error":\#(AlertServer.quote(error.description))}"#)
            }
            request = r
            closed = why
        }
        let entry = ServeApprovalStore.Entry(
            request: request,
            approvals: store.approvals(code: code).map { .init(name: $0.name, body: String(decoding: $0.data, as: UTF8.self)) },
            closed: closed, code: code)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return AlertServer.json(.ok, String(decoding: (try? encoder.encode(entry)) ?? Data("{}".utf8), as: UTF8.self))
    }
}
