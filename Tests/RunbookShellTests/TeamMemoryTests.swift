import Clients
import Foundation
import Testing
import TestSupport

/// A team's memory on the real `rbsh serve`: operators' rbsh send their
/// finished transcripts, each stored and indexed once, and ask it what past
/// sessions found; a client whose server is away is never held up by it.
@Suite struct TeamMemoryTests {
    static let runbook = """
        id: probe-check
        title: Probe check
        category: tool
        steps:
          - id: check
            shell: "exit 1"
            findings:
              - id: postgres-unreachable
                when: exit_code != 0
                severity: critical
                message: the check failed
        """

    /// A real transcript of `probe-check`, as if from `hosts` hosts: one each.
    static func transcripts(in dir: String, hosts: Int) throws -> [Data] {
        try runbook.write(toFile: dir + "/probe-check.yaml", atomically: true, encoding: .utf8)
        let made = try RbshProcess.run(
            ["run", dir + "/probe-check.yaml", "--transcript", dir + "/one.jsonl"], environment: ["RBSH_MEMORY": "off"])
        #expect(made.status == 2, "\(made.stdout)\(made.stderr)")
        let lines = try String(contentsOfFile: dir + "/one.jsonl", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var header = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        return try (0..<hosts).map { n in
            header["host"] = "probe-\(n)"
            let first = String(decoding: try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]), as: UTF8.self)
            return Data(([first] + lines.dropFirst().map(String.init)).joined(separator: "\n").utf8)
        }
    }

    static func get(_ url: String, token: String? = AlertmanagerTests.token) throws -> (Int, Any?) {
        let r = try HTTPClient.request(url: url, headers: token.map { ["Authorization": "Bearer \($0)"] } ?? [:], timeout: 10)
        return (r.status, try? JSONSerialization.jsonObject(with: Data(r.body)))
    }

    @Test func twentyClientsAtOnceAreStoredOnceEachAndRecalled() async throws {
        let setup = try AlertmanagerTests.Setup()
        try "\n  max_transcript: 64KiB\n".appendLine(to: setup.dir + "/rbsh.yaml")
        let server = try setup.serve(environment: ["XDG_STATE_HOME": setup.dir + "/state"])
        defer { server.stop() }
        let bodies = try Self.transcripts(in: setup.dir, hosts: 20)
        let url = setup.url
        let auth = ["Authorization": "Bearer \(AlertmanagerTests.token)"]
        // Twenty at once, then each again.
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for body in bodies {
                group.addTask {
                    try HTTPClient.request(method: "POST", url: url + "/transcripts", headers: auth, body: Array(body), timeout: 30).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 201, count: 20), "\(statuses)\n\(server.text)")
        for body in bodies.prefix(3) {
            #expect(
                try HTTPClient.request(method: "POST", url: url + "/transcripts", headers: auth, body: Array(body), timeout: 10).status
                    == 200)
        }
        let stored = try FileManager.default.contentsOfDirectory(atPath: setup.dir + "/transcripts/received").filter {
            $0.hasSuffix(".jsonl")
        }
        #expect(stored.count == 20)

        let (status, listed) = try Self.get(url + "/recall?q=postgres-unreachable&limit=500")
        let sessions = try #require(listed as? [[String: Any]], "\(status)")
        #expect(Set(sessions.compactMap { $0["host"] as? String }).count == 20 && sessions.count == 20)
        let (_, causes) = try Self.get(url + "/recall?cause=probe-check/postgres-unreachable")
        let said = try #require((causes as? [String: Any])?["probe-check/postgres-unreachable"] as? [String: Any])
        #expect(said["seen_ever"] as? Int == 20 && said["label"] as? String == "frequent", "\(said)")

        #expect(try Self.get(url + "/recall?q=postgres-unreachable", token: nil).0 == 401)
        #expect(try HTTPClient.request(method: "POST", url: url + "/transcripts", body: Array(bodies[0]), timeout: 10).status == 401)
        let large = bodies[0] + Data(repeating: UInt8(ascii: "\n"), count: 70_000)
        #expect(
            try HTTPClient.request(method: "POST", url: url + "/transcripts", headers: auth, body: Array(large), timeout: 10).status == 413)
        let foreign = Array(#"{"not":"a transcript"}"#.utf8 + [0x0A])
        #expect(try HTTPClient.request(method: "POST", url: url + "/transcripts", headers: auth, body: foreign, timeout: 10).status == 400)
        #expect(try Self.get(url + "/healthz", token: nil).0 == 200)
    }

    @Test func aClientWhoseServerIsDownFinishesAtOnceAndSendsLater() async throws {
        let setup = try AlertmanagerTests.Setup()
        let client = setup.dir + "/client"
        try FileManager.default.createDirectory(atPath: client, withIntermediateDirectories: true)
        try Self.runbook.write(toFile: client + "/probe-check.yaml", atomically: true, encoding: .utf8)
        try "memory:\n  url: \(setup.url)\n  token: \(AlertmanagerTests.token)\n".write(
            toFile: client + "/rbsh.yaml", atomically: true, encoding: .utf8)
        let env = ["XDG_STATE_HOME": client + "/state"]
        let outbox = client + "/state/rbsh/outbox"
        func queued() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []).filter { $0.hasSuffix(".path") }.count
        }
        func session(_ name: String) throws -> (RbshProcess, Double) {
            let start = ContinuousClock.now
            let p = try RbshProcess.run(
                ["run", client + "/probe-check.yaml", "--config", client + "/rbsh.yaml", "--transcript", client + "/\(name).jsonl"],
                environment: env, timeout: 60)
            return (p, (ContinuousClock.now - start).milliseconds)
        }

        // The server's port takes connections and never answers: the session does not wait for its
        // 10 s send (the push is detached), only for the 1.5 s a recall may take; the transcript stays queued.
        let silent = try AlertmanagerTests.Background(
            [
                "/usr/bin/python3", "-c",
                "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', \(setup.port))); s.listen(64); time.sleep(120)",
            ], log: setup.dir + "/silent.log")
        try await Task.sleep(for: .milliseconds(300))
        let (first, took) = try session("first")
        #expect(first.status == 2, "\(first.stderr)")
        #expect(took < 8000, "the session waited for the team's server: \(took) ms")
        #expect(queued() == 1)
        silent.stop(SIGKILL)
        // Down: the push that session started gives up at once; the transcript stays queued.
        let (down, _) = try session("down")
        #expect(down.status == 2)
        try await Task.sleep(for: .seconds(1))
        #expect(queued() == 2)

        let server = try setup.serve(environment: ["XDG_STATE_HOME": setup.dir + "/state"])
        defer { server.stop() }
        let (second, _) = try session("second")
        #expect(second.status == 2, "\(second.stderr)")
        let deadline = Date().addingTimeInterval(15)
        while queued() > 0, Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(queued() == 0, "\(server.text)")
        let (_, causes) = try Self.get(setup.url + "/recall?cause=probe-check/postgres-unreachable")
        let said = try #require((causes as? [String: Any])?["probe-check/postgres-unreachable"] as? [String: Any], "\(server.text)")
        #expect(said["seen_ever"] as? Int == 3, "every session reached the team: \(said)")

        // The next session hears it from the team: the three before it.
        let (fourth, _) = try session("fourth")
        #expect(fourth.stdout.contains("↳ seen 3× in 30 days (frequent)"), "\(fourth.stdout)")
    }
}

extension String {
    func appendLine(to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(utf8))
    }
}
