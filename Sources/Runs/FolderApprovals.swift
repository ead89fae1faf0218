import Foundation
import RunbookKit

/// Approvals through a shared folder: the request is `CODE.request.json`,
/// each approval `CODE.*.approval` (`rbsh approve CODE` writes one), the
/// approvals used are marked under `used/`, and `CODE.closed` says the
/// request was given up. The waiting rbsh looks for new approvals as each
/// lands (inotify), and twenty times a second in any case (a network
/// folder), and checks each once.
public final class FolderApprovals: ApprovalGate, @unchecked Sendable {
    public let config: ApprovalsConfig
    let targets: [String: String]
    /// How often the folder is looked at.
    static let pollInterval: Double = 0.05

    init(_ config: ApprovalsConfig, targets: [String: String]) {
        self.config = config
        self.targets = targets
    }

    public static func requestPath(_ folder: String, code: String) -> String { "\(folder)/\(code).request.json" }
    public static func closedPath(_ folder: String, code: String) -> String { "\(folder)/\(code).closed" }

    public func obtain(
        _ need: ApprovalNeed, wait: Double?, cancelled: @escaping @Sendable () -> Bool, record: (TranscriptEvent) -> Void,
        notice: (String) -> Void
    ) -> (granted: Bool, reason: String?) {
        let folder = config.folder
        let target = ApprovalRequest.target(kind: need.kind, targets: targets)
        let request: ApprovalRequest
        switch publish(need, target: target) {
        case .success(let r): request = r
        case .failure(let why): return (false, why.reason)
        }
        record(
            .approval(
                ApprovalEvent(.requested, code: request.code, remediation: need.remediation, needed: need.count, expires: request.expires)))
        let check = ApprovalCheck(
            request: request, allowedSigners: config.allowedSigners, lifetime: config.policy.lifetime, usedFolder: folder + "/used")
        let deadline = wait.map { Date().addingTimeInterval($0) }
        let watch = FolderWatch(folder)
        var seen: Set<String> = []
        var approvers: [String] = []
        while true {
            for (name, data) in newApprovals(code: request.code, seen: &seen) {
                switch check.check(data) {
                case .success(let approval) where approvers.contains(approval.principal):
                    record(
                        refused(request, approval.principal, "\(approval.principal) approved it already: each approval is another person's")
                    )
                case .success(let approval):
                    approvers.append(approval.principal)
                    record(
                        .approval(
                            ApprovalEvent(
                                .granted, code: request.code, remediation: need.remediation, principal: approval.principal,
                                approvedAt: approval.approvedAt)))
                case .failure(let refusal):
                    record(refused(request, refusal.principal, "\(name): \(refusal.reason)"))
                }
            }
            if approvers.count >= need.count { return (true, nil) }
            if cancelled() { return giveUp(request, "stopped waiting for its approval") }
            if let deadline, Date() >= deadline {
                let have = approvers.isEmpty ? "" : " (\(approvers.count) of \(need.count) came)"
                return giveUp(
                    request,
                    "no approval within \(DurationText.text(wait ?? 0))\(have): it waited for \(need.count) to `rbsh approve \(request.code)`"
                )
            }
            watch.wait(Self.pollInterval)
        }
    }

    func refused(_ request: ApprovalRequest, _ principal: String?, _ reason: String) -> TranscriptEvent {
        .approval(ApprovalEvent(.refused, code: request.code, remediation: request.remediation, principal: principal, reason: reason))
    }

    /// Writes the request under a code no other request has.
    func publish(_ need: ApprovalNeed, target: String) -> Result<ApprovalRequest, ApprovalCheck.Refusal> {
        let folder = config.folder
        func failed(_ what: String) -> Result<ApprovalRequest, ApprovalCheck.Refusal> {
            .failure(
                ApprovalCheck.Refusal(
                    principal: nil, reason: "cannot \(what) the approvals folder \(folder): \(String(cString: strerror(errno)))"))
        }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard mkdir(folder, 0o775) == 0 || errno == EEXIST else { return failed("make") }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        for _ in 0..<20 {
            let request = ApprovalRequest(
                need, code: ApprovalRequest.newCode(), target: target, requester: config.requester, now: Date(),
                lifetime: config.policy.lifetime)
            let path = Self.requestPath(folder, code: request.code)
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            if fd < 0, errno == EEXIST { continue }
            guard fd >= 0 else { return failed("write a request in") }
            let data = (try? encoder.encode(request)) ?? Data()
            let ok = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count }
            close(fd)
            guard ok else { return failed("write a request in") }
            return .success(request)
        }
        return failed("find a free request code in")
    }

    /// Approval files of `code` not looked at before (a file rewritten is looked at again).
    func newApprovals(code: String, seen: inout Set<String>) -> [(String, Data)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: config.folder)) ?? []
        var found: [(String, Data)] = []
        for name in names.sorted() where name.hasPrefix(code + ".") && name.hasSuffix(".approval") {
            let path = config.folder + "/" + name
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { continue }
            let key = "\(name) \(attributes[.size] ?? 0) \(attributes[.modificationDate] ?? "")"
            guard !seen.contains(key), let data = FileManager.default.contents(atPath: path) else { continue }
            seen.insert(key)
            found.append((name, data))
        }
        return found
    }

    /// Gives the request up: `CODE.closed` says why, and `rbsh approve` refuses it.
    func giveUp(_ request: ApprovalRequest, _ reason: String) -> (granted: Bool, reason: String?) {
        try? Data((reason + "\n").utf8).write(to: URL(fileURLWithPath: Self.closedPath(config.folder, code: request.code)))
        return (false, reason)
    }
}
