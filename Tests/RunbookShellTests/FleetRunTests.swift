import Clients
import Foundation
import Testing
import TestSupport

/// `rbsh run --hosts`: a runbook on real sshd hosts in network namespaces the test makes.
@Suite(
    .enabled(if: NamespaceFleet.canMake, "fleet tests need root, ip and sshd (openssh-server) to make hosts in network namespaces"),
    .serialized)
struct FleetRunTests {
    /// Shell, system and listening steps on each host, one local step run once.
    static func runbook(in dir: String, localPort: Int) throws -> String {
        let path = dir + "/fleet-check.yaml"
        try """
        id: fleet-check
        title: Each agent host, checked
        category: tool
        inputs:
          - id: phrase
            prompt: A phrase with quotes in it
            default: "it's \\"$HOME\\" `id`"
        steps:
          - id: say
            shell: printf '%s|%s' "$PHRASE" "$(ip netns identify)"
            env: {PHRASE: "${vars.phrase}"}
          - id: resources
            system: {sample: 100ms}
            findings:
              - id: no-memory-figure
                when: not mem_pct
                severity: warning
                message: no memory figure
          - id: port
            tcp: ":8000"
            listening: true
            findings:
              - id: port-8000-taken
                when: listening
                severity: critical
                message: "port 8000 is taken by ${program:-?}"
          - id: local-service
            tcp: "127.0.0.1:\(localPort)"
            timeout: 2s
            findings:
              - id: local-service-down
                when: not connected
                severity: warning
                message: the local service does not answer
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    struct Report: Decodable {
        struct Host: Decodable { var host: String; var status: String }
        struct Finding: Decodable { var id: String; var host: String?; var severity: String; var message: String }
        struct Step: Decodable { var id: String; var host: String?; var status: String }
        var status: String
        var hosts: [Host]
        var findings: [Finding]
        var steps: [Step]
        var transcript: String
    }

    static func decode(_ text: String) throws -> Report { try JSONDecoder().decode(Report.self, from: Data(text.utf8)) }

    @Test func faultsOnSomeHostsAreFoundOnExactlyThoseAndAnUnreachableHostIsAFinding() throws {
        let fleet = try NamespaceFleet(count: 12)
        defer { fleet.down() }
        try fleet.listen("agent-03", port: 8000)
        try fleet.listen("agent-07", port: 8000)
        try fleet.stop("agent-10")
        try fleet.forgetHostKey("agent-11")
        let book = try Self.runbook(in: fleet.directory, localPort: LabFixture.closedPort())
        let p = try RbshProcess.run(
            ["run", book, "--hosts", fleet.inventory, "--format", "json", "--transcript", fleet.directory + "/t.jsonl"], timeout: 120)
        #expect(p.status == 2, "\(p.stderr)")
        let r = try Self.decode(p.stdout)
        #expect(r.status == "critical")
        #expect(r.hosts.map(\.host) == (1...12).map { String(format: "agent-%02d", $0) })
        let status = Dictionary(uniqueKeysWithValues: r.hosts.map { ($0.host, $0.status) })
        #expect(status["agent-03"] == "critical" && status["agent-07"] == "critical")
        #expect(status["agent-10"] == "unreachable" && status["agent-11"] == "unreachable")
        #expect(status.filter { $0.value == "ok" }.count == 8)
        // The fault is reported on exactly the hosts that have it, with the process holding the port.
        let taken = r.findings.filter { $0.id == "port-8000-taken" }
        #expect(Set(taken.compactMap(\.host)) == ["agent-03", "agent-07"])
        #expect(taken.allSatisfy { $0.message == "port 8000 is taken by python3" })
        let unreachable = Dictionary(uniqueKeysWithValues: r.findings.filter { $0.id == "host-unreachable" }.map { ($0.host ?? "", $0) })
        #expect(unreachable["agent-10"]?.message.contains("Connection refused") == true)
        // Host key checking stays on: an unknown key is refused, not accepted.
        #expect(unreachable["agent-11"]?.message.contains("Host key verification failed") == true)
        #expect(unreachable.values.allSatisfy { $0.severity == "critical" })
        // Each reachable host ran its shell, system and listening steps; the local one ran once, with no host.
        for host in status.keys where status[host] != "unreachable" {
            #expect(Set(r.steps.filter { $0.host == host }.map(\.id)) == ["say", "resources", "port"], "\(host)")
        }
        #expect(r.steps.filter { $0.id == "local-service" }.count == 1)
        #expect(r.steps.first { $0.id == "local-service" }?.host == nil)
        #expect(r.findings.filter { $0.id == "local-service-down" }.map(\.host) == [nil])
        #expect(!r.findings.contains { $0.id == "no-memory-figure" })

        // The transcript has each host's events marked with the host, and the value went in as it was.
        let lines = try String(contentsOfFile: r.transcript, encoding: .utf8).split(separator: "\n")
        let say = try lines.compactMap { line -> [String: Any]? in
            guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                o["type"] as? String == "step_end", o["step"] as? String == "say"
            else { return nil }
            return o
        }
        #expect(say.count == 10)
        for o in say {
            let host = o["host"] as? String ?? "?"
            let ns = try String(contentsOfFile: fleet.directory + "/\(host)/netns", encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines)
            // (What the host's login shell itself prints, such as a ~/.bashrc's complaints, may come before it.)
            #expect((o["output"] as? String)?.hasSuffix("it's \"$HOME\" `id`|\(ns)") == true, "\(host): \(o["output"] ?? "")")
        }

        // The postmortem has a row per host.
        let md = try RbshProcess.run(["transcript", "export", r.transcript, "--format", "markdown"]).stdout
        #expect(md.contains("| Host | Status | Steps | Open findings |"))
        #expect(md.contains("| agent-10 | unreachable | 1 | `host-unreachable` |"), "\(md)")
        #expect(md.contains("| agent-03 | critical | 3 | `port-8000-taken` |"))
        #expect(md.contains("| agent-01 | ok | 3 | none |"))

        // Replay shows it, by host; it re-runs only what ran on one machine.
        let shown = try RbshProcess.run(["replay", r.transcript])
        #expect(shown.stdout.contains("[agent-03] ■ port ok"), "\(shown.stdout)")
        let rerun = try RbshProcess.run(["replay", r.transcript, "--execute"])
        #expect(rerun.status == 3 && rerun.stderr.contains("--retry-failed"), "\(rerun.stderr)")

        // --retry-failed runs only the hosts that were not ok.
        let again = try RbshProcess.run(
            [
                "run", book, "--hosts", fleet.inventory, "--retry-failed", r.transcript, "--format", "json", "--transcript",
                fleet.directory + "/t2.jsonl",
            ])
        let r2 = try Self.decode(again.stdout)
        #expect(r2.hosts.map(\.host) == ["agent-03", "agent-07", "agent-10", "agent-11"], "\(again.stderr)")

        // The text report groups each finding with its hosts.
        let text = try RbshProcess.run([
            "run", book, "--hosts", fleet.inventory, "--limit", "agent-0*", "--transcript", fleet.directory + "/t3.jsonl",
        ])
        #expect(text.stdout.contains("CRITICAL port-8000-taken on 2/9 hosts: agent-03, agent-07"), "\(text.stdout)")
    }

    @Test func aStoppedStepStopsOnEveryHostTheRemoteCommandIncluded() throws {
        let fleet = try NamespaceFleet(count: 3)
        defer { fleet.down() }
        let marker = "31.\(Int.random(in: 100_000...999_999))"
        let book = fleet.directory + "/hang.yaml"
        try """
        id: hang
        title: A command that hangs
        category: tool
        steps:
          - id: hang
            shell: sleep \(marker)
            timeout: 2s
        """.write(toFile: book, atomically: true, encoding: .utf8)
        let started = Date()
        let p = try RbshProcess.run([
            "run", book, "--hosts", fleet.inventory, "--format", "json", "--transcript", fleet.directory + "/t.jsonl",
        ])
        #expect(Date().timeIntervalSince(started) < 20)
        let r = try Self.decode(p.stdout)
        #expect(r.steps.filter { $0.id == "hang" }.map(\.status) == ["timeout", "timeout", "timeout"], "\(p.stdout) \(p.stderr)")
        // Nothing of it is left on any host (the hosts share this machine's process table).
        var left = -1
        for _ in 0..<50 {
            left = Self.processes(matching: "sleep \(marker)")
            if left == 0 { break }
            usleep(100_000)
        }
        #expect(left == 0)
    }

    /// What `ansible -i INVENTORY PATTERN --list-hosts` lists; nil without ansible-core.
    static func ansibleHosts(inventory: String, pattern: String, dir: String) -> [String]? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ansible") else { return nil }
        let env = ["ANSIBLE_LOCAL_TEMP": dir + "/ansible-tmp", "ANSIBLE_HOME": dir + "/ansible-home", "ANSIBLE_NOCOLOR": "1"]
        let out = ShellRunner().run(argv: ["/usr/bin/ansible", "-i", inventory, pattern, "--list-hosts"], environment: env, timeout: 60)
        // Hosts are the indented lines under "hosts (N):"; warnings (which may wrap) are not indented.
        return out.output.text.split(separator: "\n").filter { $0.hasPrefix(" ") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.hasPrefix("hosts (") }
    }

    @Test func aFixConfirmedForTwoOfThreeHostsRunsOnThoseTwo() throws {
        let fleet = try NamespaceFleet(count: 3)
        defer { fleet.down() }
        for h in ["agent-01", "agent-02", "agent-03"] { try fleet.listen(h, port: 8000) }
        try FileManager.default.createDirectory(atPath: fleet.directory + "/books", withIntermediateDirectories: true)
        try """
        id: free-port
        title: Free port 8000 on each host
        category: tool
        steps:
          - id: port
            tcp: ":8000"
            listening: true
            findings:
              - id: port-8000-taken
                when: listening
                severity: critical
                message: "port 8000 is taken by ${program:-?} (pid ${pid:-?})"
        remediations:
          - id: stop-holder
            title: Stop what holds port 8000
            fixes: [port-8000-taken]
            risk: changes
            shell: kill "$PID"
            env: {PID: "${steps.port.pid}"}
            verify: port
        """.write(toFile: fleet.directory + "/books/free-port.yaml", atomically: true, encoding: .utf8)
        let script = "hosts \(fleet.inventory)\nstart free-port\npick\nagent-01 agent-03\nfindings\nquit\n"
        let p = try RbshProcess.run(
            ["shell", "--runbooks", fleet.directory + "/books", "--transcript", fleet.directory + "/t.jsonl"], stdin: script)
        #expect(p.status == 0, "\(p.stderr)")
        // Offered once, with every host it would run on.
        #expect(p.stdout.components(separatedBy: "remediation stop-holder").count == 2, "\(p.stdout)")
        #expect(p.stdout.contains("hosts:  3: agent-01, agent-02, agent-03"))
        #expect(p.stdout.contains("CRITICAL port-8000-taken on 1/3 hosts: agent-02"), "the same line as the walk's own summary")
        // Run on the two picked, verified there; the third still has its listener.
        for (host, listening) in [("agent-01", false), ("agent-02", true), ("agent-03", false)] {
            let ns = try String(contentsOfFile: fleet.directory + "/\(host)/netns", encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines)
            let out = ShellRunner().run(argv: ["ip", "netns", "exec", ns, "cat", "/proc/net/tcp"], timeout: 10).output.text
            #expect(out.contains(":1F40 00000000:0000 0A") == listening, "\(host)")
        }
        let events = try String(contentsOfFile: fleet.directory + "/t.jsonl", encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let verified = events.filter { $0["type"] as? String == "remediation_verified" && $0["verified"] as? Bool == true }
        #expect(Set(verified.compactMap { $0["host"] as? String }) == ["agent-01", "agent-03"])
        let declined = events.filter { $0["type"] as? String == "remediation_declined" }
        #expect(declined.compactMap { $0["host"] as? String } == ["agent-02"])
    }

    @Test func aHostThatDropsPacketsIsUnreachableAfterTheConnectTimeoutNotAHang() throws {
        let fleet = try NamespaceFleet(count: 2)
        defer { fleet.down() }
        try fleet.drop("agent-02")
        let book = fleet.directory + "/one.yaml"
        try "id: one\ntitle: One step\ncategory: tool\nsteps:\n  - id: say\n    shell: echo hi\n".write(
            toFile: book, atomically: true, encoding: .utf8)
        let started = Date()
        let p = try RbshProcess.run(
            ["run", book, "--hosts", fleet.inventory, "--format", "json", "--transcript", fleet.directory + "/t.jsonl"], timeout: 60)
        let took = Date().timeIntervalSince(started)
        let r = try Self.decode(p.stdout)
        #expect(r.hosts.map(\.status) == ["ok", "unreachable"], "\(p.stdout)")
        #expect(r.findings.first { $0.host == "agent-02" }?.message.contains("timed out") == true, "\(r.findings)")
        // ssh's 5 s connect timeout, not a hang (and not the step's 30 s).
        #expect(took > 4.5 && took < 15, "\(took) s")
    }

    @Test func keptConnectionsAreReusedByTheNextRunAndNotOpenedAgain() throws {
        let fleet = try NamespaceFleet(count: 3)
        let runtime = fleet.directory + "/runtime"
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        let sockets = runtime + "/rbsh-ssh-\(getuid())"
        defer {
            // The masters kept go before their hosts do.
            for s in (try? FileManager.default.contentsOfDirectory(atPath: sockets)) ?? [] {
                _ = ShellRunner().run(argv: ["ssh", "-o", "ControlPath=\(sockets)/\(s)", "-O", "exit", "x"], timeout: 5)
            }
            fleet.down()
        }
        let book = fleet.directory + "/one.yaml"
        try "id: one\ntitle: One step\ncategory: tool\nsteps:\n  - id: say\n    shell: echo hi\n".write(
            toFile: book, atomically: true, encoding: .utf8)
        func accepted() throws -> Int {
            try (1...3).map { i in
                try String(contentsOfFile: fleet.directory + "/agent-0\(i)/sshd.log", encoding: .utf8).components(
                    separatedBy: "Accepted publickey"
                ).count - 1
            }.reduce(0, +)
        }
        for i in 1...2 {
            let p = try RbshProcess.run(
                [
                    "run", book, "--hosts", fleet.inventory, "--keep-connections", "1m", "--format", "json", "--transcript",
                    fleet.directory + "/t\(i).jsonl",
                ],
                environment: ["XDG_RUNTIME_DIR": runtime])
            #expect(try Self.decode(p.stdout).hosts.map(\.status) == ["ok", "ok", "ok"], "\(p.stderr)")
            // One connection per host, opened by the first run and used by the second.
            #expect(try accepted() == 3)
        }
        var st = stat()
        #expect(stat(sockets, &st) == 0 && st.st_mode & 0o777 == 0o700)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sockets).count == 3)
    }

    @Test func anAlertRuleWithHostsRunsOnTheHostTheAlertNames() throws {
        let fleet = try NamespaceFleet(count: 3)
        defer { fleet.down() }
        let book = try Self.runbook(in: fleet.directory, localPort: LabFixture.closedPort())
        try """
        alerts:
          - match: {alertname: AgentPortTaken}
            runbook: \(book)
            hosts: \(fleet.inventory)
            limit: "${labels.instance}"
        """.write(toFile: fleet.directory + "/rbsh.yaml", atomically: true, encoding: .utf8)
        let alert =
            #"{"version":"4","groupKey":"g","status":"firing","commonLabels":{"alertname":"AgentPortTaken","instance":"agent-02"},"alerts":[]}"#
        let p = try RbshProcess.run(
            [
                "run", "--alert", "-", "--config", fleet.directory + "/rbsh.yaml", "--format", "json", "--transcript",
                fleet.directory + "/t.jsonl",
            ],
            stdin: alert)
        let r = try Self.decode(p.stdout)
        #expect(r.hosts.map(\.host) == ["agent-02"], "\(p.stderr)")
        #expect(r.steps.contains { $0.id == "say" && $0.host == "agent-02" })
    }

    /// rbsh serve's run over a rule's hosts waits for an approval the config wants, as its run on one host does
    /// (it used to refuse the fix: the fleet's unattended host had no approval gate).
    @Test func anAlertsRunOverHostsWaitsForApprovalLikeAnyOther() throws {
        let fleet = try NamespaceFleet(count: 2)
        defer { fleet.down() }
        try ApprovalServeTests.alertRunWaitsForApproval(
            rule: "    hosts: \(fleet.inventory)\n    limit: agent-01\n", group: "wipe-hosts", ranOn: " on agent-01")
    }

    @Test(.enabled(if: TmuxSession.isAvailable, "needs tmux"))
    func ctrlCInTheShellStopsTheWalkOnEveryHost() throws {
        let fleet = try NamespaceFleet(count: 3)
        defer { fleet.down() }
        let marker = "32.\(Int.random(in: 100_000...999_999))"
        try FileManager.default.createDirectory(atPath: fleet.directory + "/books", withIntermediateDirectories: true)
        try """
        id: hang-then-more
        title: A step that hangs, then another
        category: tool
        steps:
          - id: hang
            shell: sleep \(marker)
            timeout: 1m
          - id: more
            shell: echo more
        """.write(toFile: fleet.directory + "/books/hang.yaml", atomically: true, encoding: .utf8)
        let transcript = fleet.directory + "/t.jsonl"
        let t = try TmuxSession.rbsh(["shell", "--runbooks", fleet.directory + "/books", "--transcript", transcript])
        t.waitFor("rbsh>")
        try t.type("hosts \(fleet.inventory)")
        try t.send("Enter")
        t.waitFor("3 hosts of")
        try t.type("start hang-then-more")
        try t.send("Enter")
        // Every host is running the hanging step before Ctrl-C.
        var running = 0
        for _ in 0..<100 where running < 3 {
            running = Self.processes(matching: "sleep \(marker)")
            usleep(50_000)
        }
        #expect(running == 3)
        try t.send("C-c")
        let took = t.waitFor("— 3 hosts:", timeout: 10)
        #expect((took ?? 99) < 5, "the walk took \(took ?? -1) s to stop")
        usleep(300_000)
        #expect(Self.processes(matching: "sleep \(marker)") == 0, "left running on a host")
        // The walk stopped on every host: the step after the hanging one ran nowhere.
        let events = try String(contentsOfFile: transcript, encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let ended = events.filter { $0["type"] as? String == "step_end" }
        let ran = ended.filter { $0["status"] as? String != "skipped" }.compactMap { $0["step"] as? String }
        #expect(ran.filter { $0 == "hang" }.count == 3 && !ran.contains("more"), "\(ran)")
        // Skipped on each host, saying why.
        #expect(ended.filter { $0["step"] as? String == "more" && $0["error"] as? String == "interrupted" }.count == 3, "\(ended)")
        try t.type("quit")
        try t.send("Enter")
    }

    static func processes(matching text: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.filter { pid in
            let cmd = (FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()).split(separator: 0).map {
                String(decoding: $0, as: UTF8.self)
            }.joined(separator: " ")
            return cmd == text
        }.count
    }

    @Test func limitSelectsTheHostsAnsibleWould() throws {
        let fleet = try NamespaceFleet(count: 6)
        defer { fleet.down() }
        let book = try Self.runbook(in: fleet.directory, localPort: LabFixture.closedPort())
        for (i, pattern) in ["agents:!agent-0[4-5]", "agent-02:agent-05", "~agent-0[46]", "agents[1:3]:!agent-03"].enumerated() {
            let p = try RbshProcess.run(
                [
                    "run", book, "--hosts", fleet.inventory, "--limit", pattern, "--format", "json", "--transcript",
                    fleet.directory + "/t\(i).jsonl",
                ])
            let ours = try Self.decode(p.stdout).hosts.map(\.host)
            let ansible = Self.ansibleHosts(inventory: fleet.inventory, pattern: pattern, dir: fleet.directory)
            #expect(ansible != nil)
            if let ansible { #expect(ours.sorted() == ansible.sorted(), "\(pattern)") }
        }
    }
}
