import Clients
import Foundation
import Testing
import TestSupport

/// Approvals through the real `rbsh serve`, for operators who share no
/// folder: the request goes up, the approval comes down, and each rbsh
/// checks it itself.
@Suite struct ApprovalServeTests {
    @Test func anApprovalTravelsThroughRbshServe() throws {
        let keys = try ApprovalTests()
        let setup = try AlertmanagerTests.Setup()
        let server = try setup.serve(environment: ["XDG_STATE_HOME": setup.dir + "/state"])
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: setup.dir)
            try? FileManager.default.removeItem(atPath: keys.dir)
        }
        func config(_ name: String) throws -> String {
            let path = keys.dir + "/\(name)-serve.yaml"
            try """
            signing: {key: \(keys.dir)/\(name), principal: \(name)@team, allowed_signers: \(keys.dir)/allowed_signers}
            approvals: {url: "\(setup.url)", token: \(AlertmanagerTests.token), require: {destructive: 1}}
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let transcript = keys.dir + "/serve.jsonl"
        let waiting = ApprovalTests.Background([
            "run", keys.dir + "/books/wipe-flag.yaml", "--allow", "destructive", "--approval-wait", "30s", "--transcript", transcript,
            "--config", try config("alice"),
        ])
        let folder = setup.dir + "/transcripts/approvals"
        var code = ""
        for _ in 0..<200 where code.isEmpty {
            code =
                ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).first { $0.hasSuffix(".request.json") }
                .map { String($0.prefix(6)) } ?? ""
            if code.isEmpty { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(!code.isEmpty, "the request reached the server's folder: \(server.text)")
        // The token is required, as for every other route.
        #expect(try HTTPClient.request(url: setup.url + "/approvals/\(code)", timeout: 5).status == 401)
        let (unknown, _) = try TeamMemoryTests.get(setup.url + "/approvals/ZZZZZZ")
        #expect(unknown == 404)

        let approved = try RbshProcess.run(["approve", code, "--config", try config("bob"), "--yes"])
        #expect(approved.status == 0, "\(approved.stderr)")
        #expect(approved.stdout.contains("approved \(code) as bob@team: rbsh serve at \(setup.url)"), "\(approved.stdout)")
        let r = try waiting.value()
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("approved wipe-it by bob@team"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: keys.flag))

        // Given up: the server says so, and rbsh approve refuses it.
        try "present\n".write(toFile: keys.flag, atomically: true, encoding: .utf8)
        let lapsed = try RbshProcess.run([
            "run", keys.dir + "/books/wipe-flag.yaml", "--allow", "destructive", "--approval-wait", "1s", "--transcript",
            keys.dir + "/lapsed.jsonl", "--config", try config("alice"),
        ])
        #expect(lapsed.status == 3, "\(lapsed.stderr)")
        let second = try #require(
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).first { $0.hasSuffix(".closed") }.map {
                String($0.prefix(6))
            })
        let late = try RbshProcess.run(["approve", second, "--config", try config("bob"), "--yes"])
        #expect(late.status == 3)
        #expect(late.stderr.contains("request \(second) is closed: no approval within 1 s"), "\(late.stderr)")
    }

    /// An alert rule's `allow` says yes for nobody: where the approvals want one, rbsh serve's run waits for a person's too.
    @Test func anAlertsRunWaitsForApprovalLikeAnyOther() throws {
        try Self.alertRunWaitsForApproval(rule: "", group: "wipe-1", ranOn: "")
    }

    /// rbsh serve with a rule that runs wipe-flag on an alert (`rule` adds keys to it, such as `hosts`), the fix
    /// a `changes` one the approvals want approved: an alert's run leaves the flag until bob approves, then
    /// removes it.
    static func alertRunWaitsForApproval(rule: String, group: String, ranOn: String) throws {
        let keys = try ApprovalTests()
        let setup = try AlertmanagerTests.Setup()
        defer {
            try? FileManager.default.removeItem(atPath: keys.dir)
            try? FileManager.default.removeItem(atPath: setup.dir)
        }
        // A rule never allows a destructive fix; one that changes something, when the approvals want one for it.
        let book = try String(contentsOfFile: keys.dir + "/books/wipe-flag.yaml", encoding: .utf8)
        try book.replacingOccurrences(of: "risk: destructive\n    confirm_word: flag", with: "risk: changes")
            .write(toFile: setup.dir + "/runbooks/wipe-flag.yaml", atomically: true, encoding: .utf8)
        let config = setup.dir + "/rbsh.yaml"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try
            (text.replacingOccurrences(
                of: "alerts:\n", with: "alerts:\n  - match: {alertname: Wipe}\n    runbook: wipe-flag\n    allow: changes\n" + rule)
                + """

                signing: {key: \(keys.dir)/alice, principal: alice@team, allowed_signers: \(keys.dir)/allowed_signers}
                approvals: {folder: \(keys.folder), require: {changes: 1}}

                """).write(toFile: config, atomically: true, encoding: .utf8)
        let server = try setup.serve(environment: ["XDG_STATE_HOME": setup.dir + "/state"])
        defer { server.stop() }
        let body = #"{"version":"4","groupKey":"\#(group)","status":"firing","commonLabels":{"alertname":"Wipe"},"alerts":[]}"#
        let posted = try HTTPClient.request(
            method: "POST", url: setup.url + "/alertmanager", headers: ["Authorization": "Bearer \(AlertmanagerTests.token)"],
            body: Array(body.utf8), timeout: 5)
        #expect(posted.status == 202, "\(posted.bodyText)")
        let code = try keys.nextRequest()
        Thread.sleep(forTimeInterval: 0.5)
        #expect(FileManager.default.fileExists(atPath: keys.flag), "the rule's allow did not run it unapproved")
        #expect(try RbshProcess.run(["approve", code, "--config", try keys.config("bob"), "--yes"]).status == 0)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, FileManager.default.fileExists(atPath: keys.flag) { usleep(50_000) }
        #expect(!FileManager.default.fileExists(atPath: keys.flag), "approved, it ran\(ranOn): \(server.text)")
    }
}
