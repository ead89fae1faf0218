import Clients
import Foundation
import Lab
import Testing
import TestSupport

/// Debian's prometheus-alertmanager, which the test command installs.
enum AlertmanagerPeer {
    static let alertmanager = "/usr/bin/prometheus-alertmanager"
    /// Where the test command runs, a missing Alertmanager fails the tests instead of skipping them.
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: alertmanager) || LabFixture.isRequired }
    struct Failure: Error, CustomStringConvertible { var description: String }
}

/// `rbsh serve` as the real Alertmanager's webhook receiver: alerts fired
/// with amtool start runs; repeats, garbage and missing tokens do not.
@Suite(.enabled(if: AlertmanagerPeer.isInstalled && (LabFixture.isUp || LabFixture.isRequired)), .serialized)
struct AlertmanagerTests {
    static let alertmanager = AlertmanagerPeer.alertmanager
    static let amtool = "/usr/bin/amtool"
    static let token = "am-test-\(UUID().uuidString.prefix(8))"

    /// A loopback port nothing listens on.
    /// A port nothing holds, below Linux's ephemeral range (32768–60999), where outgoing
    /// connections take theirs: one of those taking it before the server binds is what made this flaky.
    static func freePort() -> Int {
        for _ in 0..<50 {
            let p = Int.random(in: 20_000..<32_000)
            if bindable(p) { return p }
        }
        return 29_095
    }

    static func bindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// A process in the background, stopped (SIGTERM, then SIGKILL) when the test ends.
    final class Background: @unchecked Sendable {
        let process = Process()
        let log: String
        init(_ argv: [String], log: String, environment: [String: String] = [:]) throws {
            self.log = log
            process.executableURL = URL(fileURLWithPath: argv[0])
            process.arguments = Array(argv.dropFirst())
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b }
            FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        func stop(_ sig: Int32 = SIGTERM) {
            guard process.isRunning else { return }
            kill(process.processIdentifier, sig)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        deinit { stop(SIGKILL) }
        var text: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    }

    /// A folder with the config, a slow runbook for bursts, and where transcripts go.
    struct Setup {
        let dir: String
        let port: Int
        var url: String { "http://127.0.0.1:\(port)" }

        init(concurrency: Int = 2, dedup: String = "10m", sleep: String = "0.3") throws {
            dir = NSTemporaryDirectory() + "rbsh-serve-\(UUID().uuidString.prefix(8))"
            port = AlertmanagerTests.freePort()
            try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
            try """
            id: pause
            title: A step that takes a while
            category: tool
            steps:
              - id: wait
                shell: sleep \(sleep)
                timeout: 30s
            """.write(toFile: dir + "/runbooks/pause.yaml", atomically: true, encoding: .utf8)
            try """
            alerts:
              - match: {alertname: NetworkProbeIdleConnections}
                runbook: db-connection-failure
                answers: {idle_minutes: "0"}
              - match_re: {alertname: "Burst.*"}
                runbook: pause
            serve:
              token: \(AlertmanagerTests.token)
              transcripts: \(dir)/transcripts
              concurrency: \(concurrency)
              dedup: \(dedup)
              max_body: 64KiB
            """.write(toFile: dir + "/rbsh.yaml", atomically: true, encoding: .utf8)
        }

        func serve(environment: [String: String] = [:]) throws -> Background {
            let b = try Background(
                [
                    LabFixture.binary, "serve", "--listen", "127.0.0.1:\(port)", "--config", dir + "/rbsh.yaml", "--runbooks",
                    dir + "/runbooks",
                ],
                log: dir + "/serve.log",
                environment: ["RBSH_LAB_DIR": LabState.defaultDirectory].merging(environment) { _, b in b })
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if let r = try? HTTPClient.request(url: url + "/healthz", timeout: 1), r.status == 200 { return b }
                usleep(50_000)
            }
            Issue.record("rbsh serve did not start: \(b.text)")
            return b
        }

        /// The real Alertmanager, its webhook pointing at rbsh serve with the bearer token.
        func alertmanager(groupBy: [String]) throws -> (Background, String) {
            let amPort = AlertmanagerTests.freePort()
            try """
            route:
              receiver: rbsh
              group_by: [\(groupBy.joined(separator: ", "))]
              group_wait: 0s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: rbsh
                webhook_configs:
                  - url: \(url)/alertmanager
                    send_resolved: true
                    http_config:
                      authorization:
                        type: Bearer
                        credentials: \(AlertmanagerTests.token)
            """.write(toFile: dir + "/am.yml", atomically: true, encoding: .utf8)
            let am = try Background(
                [
                    AlertmanagerTests.alertmanager, "--config.file=\(dir)/am.yml", "--storage.path=\(dir)/am-data",
                    "--web.listen-address=127.0.0.1:\(amPort)", "--cluster.listen-address=",
                ], log: dir + "/am.log")
            let amURL = "http://127.0.0.1:\(amPort)"
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if let r = try? HTTPClient.request(url: amURL + "/-/ready", timeout: 1), r.status == 200 { return (am, amURL) }
                usleep(100_000)
            }
            Issue.record("Alertmanager did not start: \(am.text)")
            return (am, amURL)
        }

        func runs() -> [[String: Any]] {
            guard
                let r = try? HTTPClient.request(
                    url: url + "/runs", headers: ["Authorization": "Bearer \(AlertmanagerTests.token)"], timeout: 5),
                let list = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [[String: Any]]
            else { return [] }
            return list
        }

        /// Waits until `done` holds of the runs; returns them.
        @discardableResult
        func waitForRuns(timeout: Double = 30, _ done: ([[String: Any]]) -> Bool) -> [[String: Any]] {
            let deadline = Date().addingTimeInterval(timeout)
            var last: [[String: Any]] = []
            while Date() < deadline {
                last = runs()
                if done(last) { return last }
                usleep(100_000)
            }
            Issue.record("the runs never got there: \(last)")
            return last
        }
    }

    static func amtoolAdd(_ amURL: String, _ labels: [String]) throws {
        let out = ShellRunner(captureLimit: 1 << 16).run(
            argv: [amtool, "--alertmanager.url=\(amURL)", "alert", "add"] + labels, timeout: 20)
        guard case .exited(0) = out.ending else { throw AlertmanagerPeer.Failure(description: "amtool: \(out.output.text)") }
    }

    static func finished(_ runs: [[String: Any]]) -> [[String: Any]] {
        runs.filter { ["ok", "warning", "critical", "unknown"].contains($0["status"] as? String ?? "") }
    }

    @Test func anAlertFiredWithAmtoolRunsItsRunbookOnceWithinTheDedupWindow() async throws {
        try await LabAccess.alone {
            _ = try LabFixture.require()
            let inject = try RbshProcess.run(["lab", "inject", "idle-connections"])
            #expect(inject.status == 0, "\(inject.stderr)")
            defer { _ = try? RbshProcess.run(["lab", "clear", "idle-connections"]) }
            let setup = try Setup()
            let server = try setup.serve()
            let (am, amURL) = try setup.alertmanager(groupBy: ["alertname"])
            defer {
                am.stop()
                server.stop()
            }
            let fired = Date()
            try Self.amtoolAdd(amURL, ["alertname=NetworkProbeIdleConnections", "instance=db-1", "--annotation=summary=idle connections"])
            let runs = setup.waitForRuns(timeout: 20) { Self.finished($0).count == 1 }
            let took = Date().timeIntervalSince(fired)
            #expect(took < 10, "the run finished \(took) s after the alert")
            let run = try #require(runs.first)
            #expect(run["runbook"] as? String == "db-connection-failure")
            #expect(run["status"] as? String == "warning")
            #expect((run["group_key"] as? String)?.contains("NetworkProbeIdleConnections") == true)
            let transcript = try #require(run["transcript"] as? String)
            let text = try String(contentsOfFile: transcript, encoding: .utf8)
            #expect(text.contains(#""id":"many-idle-connections""#), "the run found the fault")
            #expect(text.contains(#""alert":{"#), "the header names the alert")
            #expect(!text.contains(AlertmanagerTests.token), "the token is redacted")
            let markdown = (transcript as NSString).deletingPathExtension + ".md"
            #expect(FileManager.default.fileExists(atPath: markdown), "a postmortem draft beside it")

            // The same group notified again (a second alert joins it): nothing new within the window.
            try Self.amtoolAdd(amURL, ["alertname=NetworkProbeIdleConnections", "instance=db-2"])
            let deadline = Date().addingTimeInterval(4)
            while Date() < deadline, !server.text.contains("dedup window") { usleep(100_000) }
            #expect(server.text.contains("alert repeated within the dedup window"), "\(server.text)")
            #expect(setup.runs().count == 1)
        }
    }

    @Test func aBurstOfTwentyAlertsGivesTwentyRunsNeverMoreThanTheConcurrencyAtOnce() async throws {
        try await LabAccess.sharing {
            _ = try LabFixture.require()
            let setup = try Setup(concurrency: 2, sleep: "0.3")
            let server = try setup.serve()
            let (am, amURL) = try setup.alertmanager(groupBy: ["alertname"])
            defer {
                am.stop()
                server.stop()
            }
            for i in 1...20 { try Self.amtoolAdd(amURL, ["alertname=Burst\(i)", "instance=agent-\(i)"]) }
            let runs = setup.waitForRuns(timeout: 60) { Self.finished($0).count >= 20 }
            #expect(Self.finished(runs).count == 20, "none lost")
            #expect(Set(runs.compactMap { $0["group_key"] as? String }).count == 20)
            // At no moment were more than two running: count overlaps of the runs' intervals.
            let iso = ISO8601DateFormatter()
            let spans = runs.compactMap { r -> (Date, Date)? in
                guard let s = (r["started"] as? String).flatMap(iso.date), let f = (r["finished"] as? String).flatMap(iso.date) else {
                    return nil
                }
                return (s, f)
            }
            #expect(spans.count == 20)
            let transcripts = runs.compactMap { $0["transcript"] as? String }
            var events: [(Double, Int)] = []
            for path in transcripts {
                // Millisecond times from the transcripts (the run list's are to the second).
                let lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
                guard let first = lines.dropFirst().first, let last = lines.last,
                    let a = Self.time(of: first), let b = Self.time(of: last)
                else { continue }
                events.append((a, 1))
                events.append((b, -1))
            }
            var now = 0
            var peak = 0
            for e in events.sorted(by: { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }) {
                now += e.1
                peak = max(peak, now)
            }
            #expect(peak <= 2, "at most `concurrency` runs at once")
            #expect(peak == 2, "the two workers did run side by side")
        }
    }

    /// The `time` of a transcript line, in seconds.
    static func time(of line: Substring) -> Double? {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let t = obj["time"] as? String else {
            return nil
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: t)?.timeIntervalSince1970
    }

    @Test func noTokenIs401GarbageIs400TooBigIs413AndTheServerStaysUp() throws {
        let setup = try Setup()
        let server = try setup.serve()
        defer { server.stop() }
        let body = Array(#"{"version":"4","groupKey":"x","status":"firing","commonLabels":{"alertname":"Nothing"}}"#.utf8)
        let post = { (headers: [String: String], body: [UInt8]) throws -> Int in
            try HTTPClient.request(method: "POST", url: setup.url + "/alertmanager", headers: headers, body: body, timeout: 5).status
        }
        #expect(try post([:], body) == 401)
        #expect(try post(["Authorization": "Bearer wrong-\(AlertmanagerTests.token)"], body) == 401)
        #expect(try HTTPClient.request(url: setup.url + "/runs", timeout: 5).status == 401)
        let auth = ["Authorization": "Bearer \(AlertmanagerTests.token)"]
        #expect(try post(auth, Array("garbage".utf8)) == 400)
        #expect(try post(auth, Array(repeating: UInt8(ascii: " "), count: 70_000)) == 413)
        // No rule matches: still 2xx, or Alertmanager would keep re-sending it.
        #expect(try post(auth, body) == 202)
        #expect(try HTTPClient.request(url: setup.url + "/healthz", timeout: 5).status == 200)
        #expect(setup.runs().isEmpty)
    }

    @Test func aServerKilledWithRunsQueuedFinishesThemWhenStartedAgain() async throws {
        try await LabAccess.sharing {
            _ = try LabFixture.require()
            let setup = try Setup(concurrency: 1, sleep: "1")
            var server = try setup.serve()
            let auth = ["Authorization": "Bearer \(AlertmanagerTests.token)"]
            for i in 1...3 {
                let body =
                    #"{"version":"4","groupKey":"kill-\#(i)","status":"firing","commonLabels":{"alertname":"Burst\#(i)"},"alerts":[]}"#
                let status = try HTTPClient.request(
                    method: "POST", url: setup.url + "/alertmanager", headers: auth, body: Array(body.utf8), timeout: 5
                ).status
                #expect(status == 202)
            }
            setup.waitForRuns(timeout: 10) { $0.contains { $0["status"] as? String == "running" } }
            server.stop(SIGKILL)
            server = try setup.serve()
            defer { server.stop() }
            let runs = setup.waitForRuns(timeout: 30) { Self.finished($0).count == 3 }
            #expect(Set(runs.compactMap { $0["group_key"] as? String }) == ["kill-1", "kill-2", "kill-3"])
            #expect(server.text.contains("re-queued runs a stopped server accepted"))
        }
    }
}

/// The receiver's lifecycle: SIGHUP reloads the rules, SIGTERM lets the running run finish.
@Suite(.enabled(if: AlertmanagerPeer.isInstalled && (LabFixture.isUp || LabFixture.isRequired)), .serialized)
struct ServeLifecycleTests {
    @Test func sighupReloadsTheRules() throws {
        let setup = try AlertmanagerTests.Setup()
        let config = setup.dir + "/rbsh.yaml"
        let original = try String(contentsOfFile: config, encoding: .utf8)
        try original.replacingOccurrences(of: "Burst.*", with: "Nothing.*").write(toFile: config, atomically: true, encoding: .utf8)
        let server = try setup.serve()
        defer { server.stop() }
        let auth = ["Authorization": "Bearer \(AlertmanagerTests.token)"]
        let post = { (group: String) throws -> String in
            let body = #"{"version":"4","groupKey":"\#(group)","status":"firing","commonLabels":{"alertname":"Burst1"},"alerts":[]}"#
            let r = try HTTPClient.request(
                method: "POST", url: setup.url + "/alertmanager", headers: auth, body: Array(body.utf8), timeout: 5)
            return String(decoding: r.body, as: UTF8.self)
        }
        #expect(try post("before").contains(#""matched":false"#))
        try original.write(toFile: config, atomically: true, encoding: .utf8)
        kill(server.process.processIdentifier, SIGHUP)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !server.text.contains("reloaded") { usleep(50_000) }
        #expect(try post("after").contains(#""run":"#), "\(server.text)")
    }

    @Test func sigtermLetsTheRunningRunFinishAndKeepsTheQueuedOne() throws {
        let setup = try AlertmanagerTests.Setup(concurrency: 1, sleep: "1")
        let server = try setup.serve()
        let auth = ["Authorization": "Bearer \(AlertmanagerTests.token)"]
        for i in 1...2 {
            let body = #"{"version":"4","groupKey":"term-\#(i)","status":"firing","commonLabels":{"alertname":"Burst\#(i)"},"alerts":[]}"#
            _ = try HTTPClient.request(method: "POST", url: setup.url + "/alertmanager", headers: auth, body: Array(body.utf8), timeout: 5)
        }
        setup.waitForRuns(timeout: 10) { $0.contains { $0["status"] as? String == "running" } }
        let running = try #require(setup.runs().first { $0["status"] as? String == "running" })
        server.stop(SIGTERM)
        #expect(server.process.terminationStatus == 0, "\(server.text)")
        let transcript = try #require(running["transcript"] as? String)
        let text = try String(contentsOfFile: transcript, encoding: .utf8)
        #expect(text.contains(#""type":"session_end""#) && !text.contains("rbsh serve stopped"), "the running run finished")
        let journal = (try? FileManager.default.contentsOfDirectory(atPath: setup.dir + "/transcripts/.serve-journal")) ?? []
        #expect(journal.count == 1, "the queued run waits in the journal for the next start")
    }
}

/// `serve.notify`: each run's summary is POSTed there.
@Suite(.enabled(if: AlertmanagerPeer.isInstalled && (LabFixture.isUp || LabFixture.isRequired)))
struct ServeNotifyTests {
    /// Accepts one HTTP request on loopback and keeps what it said.
    final class OneRequest: @unchecked Sendable {
        let port: Int
        private let fd: Int32
        private let lock = NSLock()
        private var text = ""
        init() throws {
            let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = 0
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Int32 in
                    guard bind(sock, p, len) == 0, listen(sock, 4) == 0 else { return -1 }
                    return getsockname(sock, p, &len)
                }
            }
            fd = sock
            port = Int(UInt16(bigEndian: addr.sin_port))
            guard bound == 0 else { throw AlertmanagerPeer.Failure(description: "cannot listen on loopback") }
            Thread { [self] in
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                var buffer = [UInt8](repeating: 0, count: 65_536)
                var got: [UInt8] = []
                let deadline = Date().addingTimeInterval(10)
                while Date() < deadline {
                    let n = read(client, &buffer, buffer.count)
                    if n <= 0 { break }
                    got += buffer[0..<n]
                    if let s = String(bytes: got, encoding: .utf8), s.contains("\r\n\r\n"), s.contains("}") { break }
                }
                let reply = Array("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
                _ = write(client, reply, reply.count)
                close(client)
                lock.withLock { text = String(decoding: got, as: UTF8.self) }
            }.start()
        }
        var received: String { lock.withLock { text } }
        deinit { close(fd) }
    }

    @Test func eachRunsSummaryIsPostedToTheNotifyURL() throws {
        let listener = try OneRequest()
        let setup = try AlertmanagerTests.Setup()
        let config = setup.dir + "/rbsh.yaml"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try (text + "\n  notify: http://127.0.0.1:\(listener.port)/rbsh\n").write(toFile: config, atomically: true, encoding: .utf8)
        let server = try setup.serve()
        defer { server.stop() }
        let body = #"{"version":"4","groupKey":"notify-1","status":"firing","commonLabels":{"alertname":"Burst1"},"alerts":[]}"#
        _ = try HTTPClient.request(
            method: "POST", url: setup.url + "/alertmanager", headers: ["Authorization": "Bearer \(AlertmanagerTests.token)"],
            body: Array(body.utf8), timeout: 5)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, listener.received.isEmpty { usleep(50_000) }
        let got = listener.received
        #expect(got.hasPrefix("POST /rbsh HTTP/1.1"), "\(got)")
        #expect(got.contains(#""group_key":"notify-1""#))
        #expect(got.contains(#""runbook":"pause""#))
        #expect(got.contains(#""status":"ok""#))
    }
}
