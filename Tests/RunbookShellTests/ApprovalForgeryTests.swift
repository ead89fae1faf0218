import Foundation
import RunbookKit
import Runs
import Testing
import TestSupport

/// Every way an approval can fail to be exactly this request's, each signed
/// for real (`ssh-keygen -Y sign`) and each refused in one line naming its rule.
@Suite struct ApprovalForgeryTests {
    let keys: ApprovalTests
    let request: ApprovalRequest
    let check: ApprovalCheck

    init() throws {
        keys = try ApprovalTests()
        let need = ApprovalNeed(
            remediation: "delete-duplicates", runbook: "data-inconsistency", title: "Delete duplicates", risk: .destructive,
            action: "DELETE FROM task_results a USING task_results b WHERE a.id > b.id", kind: "postgres", fixes: ["duplicate-results"],
            count: 1, transcript: "6f1c0a8e-0000-4000-8000-000000000001", transcriptSHA256: String(repeating: "ab", count: 32))
        request = ApprovalRequest(
            need, code: "K7M2QX", target: "postgres postgres://app:***@db/network_probe", requester: "alice@team", now: Date(),
            lifetime: 900)
        try FileManager.default.createDirectory(atPath: keys.folder, withIntermediateDirectories: true)
        check = ApprovalCheck(
            request: request, allowedSigners: keys.dir + "/allowed_signers", lifetime: 900, usedFolder: keys.folder + "/used")
    }

    /// `who`'s approval of `r`, signed with `key` (default: their own), as the file holds it.
    func approval(_ r: ApprovalRequest, by who: String, key: String? = nil) throws -> Data {
        let path = try ApprovalSigning.approve(
            r, in: FolderApprovalStore(folder: keys.folder), key: keys.dir + "/" + (key ?? who), principal: "\(who)@team")
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    func refusal(_ data: Data, now: Date = Date()) -> String {
        switch check.check(data, now: now) {
        case .success: return "accepted"
        case .failure(let r): return r.reason
        }
    }

    @Test func eachForgeryFailsItsOwnRule() throws {
        defer { try? FileManager.default.removeItem(atPath: keys.dir) }
        var other = request
        other.code = "ZZZZZZ"
        #expect(refusal(try approval(other, by: "bob")) == "it approves request ZZZZZZ, not K7M2QX")
        other = request
        other.action = "TRUNCATE task_results"
        #expect(refusal(try approval(other, by: "bob")) == "it approves another action than the one that would run")
        other = request
        other.target = "postgres postgres://app:***@staging/network_probe"
        #expect(refusal(try approval(other, by: "bob")).hasPrefix("it approves the fix on postgres postgres://app:***@staging"))
        other = request
        other.transcript = "another-session"
        #expect(refusal(try approval(other, by: "bob")).hasPrefix("it approves the fix for transcript another-session, not this session's"))
        other = request
        other.transcriptSHA256 = String(repeating: "cd", count: 32)
        #expect(refusal(try approval(other, by: "bob")) == "it approves a request that differs from this one (transcript_sha256)")

        #expect(refusal(try approval(request, by: "alice")) == "alice@team made the request: approvals come from someone else")
        #expect(refusal(try approval(request, by: "carol")).hasPrefix("its signature is not by a key in allowed_signers for carol@team"))
        #expect(
            refusal(try approval(request, by: "bob", key: "alice")) == "it claims to be from bob@team but is signed with alice@team's key")
        // Alice's key under a second name in the team's file is still Alice.
        let alicePub = try String(contentsOfFile: keys.dir + "/alice.pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: keys.dir + "/allowed_signers"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("alias@team namespaces=\"rbsh-approval\" \(alicePub)\n".utf8))
        try handle.close()
        #expect(
            refusal(try approval(request, by: "alias", key: "alice"))
                == "it is signed with alice@team's own key: approvals come from someone else")

        // Signed, then edited: the action it names now is this one, but the signature was over another.
        other = request
        other.action = "DELETE FROM task_results"
        var edited = try approval(other, by: "bob")
        edited = Data(
            String(decoding: edited, as: UTF8.self).replacingOccurrences(of: "DELETE FROM task_results\"", with: "\(request.action)\"").utf8
        )
        #expect(refusal(edited) == "its signature does not verify for bob@team: what it names was changed after it was signed")

        #expect(refusal(Data("not json".utf8)) == "not an rbsh approval (unreadable or cut short)")
        let good = try approval(request, by: "bob")
        #expect(refusal(good.prefix(good.count / 2)) == "not an rbsh approval (unreadable or cut short)")
        #expect(refusal(good, now: Date().addingTimeInterval(16 * 60)).hasPrefix("it expired: signed at "))
        #expect(refusal(good, now: Date().addingTimeInterval(-5 * 60)).hasPrefix("it was signed in the future"))

        // The good one passes once; shown again, it was used.
        #expect(refusal(good) == "accepted")
        #expect(refusal(good).hasPrefix("it was already used ("))
    }
}
