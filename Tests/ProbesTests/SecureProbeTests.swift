import Foundation
import Lab
import RunbookKit
import Testing
import TestSupport
@testable import Clients
@testable import Probes

/// TLS, WebSocket, system and listening-socket probes against the lab.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired))
struct SecureProbeTests {
    func run(_ action: StepAction, timeout: Double = 10, targets: Targets = Targets()) -> StepResult {
        ProbeRunner(targets: targets).run(
            PendingStep(step: Step(id: "p", title: "p", action: action, timeout: timeout), purpose: .diagnose),
            control: StepControl())
    }

    @Test func theCertificateIsReadEvenWhenItIsNotTrusted() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let r = run(.tls(TLSAction(address: "localhost:\(lab.apiTLSPort)")))
            #expect(r.status == .failed, "the lab's CA is not in the system's trust store")
            #expect(r.values["verified"] == .bool(false))
            #expect(r.values["error_kind"] == .string("tls"))
            #expect(r.error == "certificate verify failed: unable to get local issuer certificate")
            #expect(r.values["subject"] == .string("CN=localhost,O=rbsh lab"))
            #expect(r.values["issuer"] == .string("CN=rbsh lab CA,O=rbsh lab"))
            #expect(r.values["sans"] == .string("DNS:localhost, IP:127.0.0.1"))
            let days = try #require(r.values["days_left"]?.number)
            #expect(days >= 363 && days <= 365)
        }
    }

    @Test func trustingTheLabCAVerifiesItEndToEnd() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let path = NSTemporaryDirectory() + "rbsh-tls-\(UUID().uuidString).yaml"
            try """
            id: tls-check
            title: TLS check
            category: tool
            steps:
              - id: cert
                tls: "localhost:\(lab.apiTLSPort)"
              - id: health
                http: "https://localhost:\(lab.apiTLSPort)/api/v1/health"
              - id: agents
                websocket: "wss://localhost:\(lab.apiTLSPort)/ws"
                ping: true
            """.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let p = try RbshProcess.run(
                ["run", path, "--format", "json", "--transcript", "/dev/null"], environment: ["SSL_CERT_FILE": lab.caCertificate])
            #expect(p.status == 0, "\(p.stdout) \(p.stderr)")
            #expect(p.stdout.contains(#"{"duration_ms":"#))
            #expect(!p.stdout.contains(#""status":"error""#) && !p.stdout.contains(#""status":"failed""#), "\(p.stdout)")
            // Targets given by hand are not the lab's: its CA is not trusted, and https refuses.
            let refused = try RbshProcess.run(["run", path, "--format", "json", "--transcript", "/dev/null", "--api", lab.apiURL])
            #expect(refused.status == 3)
            #expect(refused.stdout.contains(#"{"duration_ms":"#))
        }
    }

    @Test func tlsToAPortThatDoesNotSpeakItIsAOneLineError() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            // PostgreSQL reads a ClientHello as a bad startup packet and hangs up.
            let r = run(.tls(TLSAction(address: "127.0.0.1:\(lab.postgresPort)")), timeout: 5)
            #expect(r.status == .error)
            #expect(r.values["error_kind"] == .string("tls"))
            #expect(r.error?.hasPrefix("TLS handshake with 127.0.0.1:\(lab.postgresPort) failed") == true, "\(r.error ?? "")")
            #expect(r.error?.contains("\n") == false)
            // The API stub waits for an HTTP request that never comes: a timeout, in time.
            let started = Date()
            let silent = run(.tls(TLSAction(address: "127.0.0.1:\(lab.apiPort)")), timeout: 1)
            #expect(silent.status == .timeout)
            #expect(Date().timeIntervalSince(started) < 3)
            let closed = run(.tls(TLSAction(address: "127.0.0.1:\(LabFixture.closedPort())")))
            #expect(closed.values["error_kind"] == .string("refused"))
        }
    }

    @Test func theAgentsWebSocketUpgradesAndAnswersPings() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let r = run(.websocket(WebSocketAction(url: "ws://127.0.0.1:\(lab.apiPort)/ws", ping: true)))
            #expect(r.status == .ok)
            #expect(r.values["status_code"] == .number(101))
            #expect(r.values["accept_valid"] == .bool(true))
            #expect(r.values["pong"] == .bool(true))
            let notWS = run(.websocket(WebSocketAction(url: "ws://127.0.0.1:\(lab.apiPort)/api/v1/health")))
            #expect(notWS.status == .failed)
            #expect(notWS.values["upgraded"] == .bool(false))
            #expect(notWS.error == "no upgrade: HTTP 200")
        }
    }

    @Test func theSystemProbeReadsProcWithoutCommands() {
        let r = run(.system(SystemAction(sampleMilliseconds: 100)))
        #expect(r.status == .ok)
        for name in [
            "cpu_pct", "cpus", "load1", "mem_pct", "mem_total", "swap_pct", "disk_pct", "net_rx_bytes", "disk_read_bytes", "collect_ms",
        ] {
            #expect(r.values[name]?.number != nil, "\(name) missing")
        }
        let mem = r.values["mem_pct"]?.number ?? -1
        #expect(mem > 0 && mem < 100)
        #expect(r.durationMilliseconds >= 100)
        #expect((r.table?.rows.count ?? 0) > 0)
        #expect(r.table?.columns == ["pid", "program", "rss_mb", "mem_pct"])
    }

    @Test func whoListensOnAPortIsFoundInProc() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let r = run(.tcp(TCPAction(address: String(lab.postgresPort), listening: true)))
            #expect(r.status == .ok)
            #expect(r.values["program"] == .string("postgres"))
            #expect(r.values["address"] == .string("127.0.0.1"))
            let none = run(.tcp(TCPAction(address: String(LabFixture.closedPort()), listening: true)))
            #expect(none.status == .failed)
            #expect(none.values["listening"] == .bool(false))
        }
    }

    @Test func procAddressesDecode() {
        #expect(ListeningSockets.decode("0100007F", v6: false) == "127.0.0.1")
        #expect(ListeningSockets.decode("00000000000000000000000001000000", v6: true) == "::1")
        #expect(ListeningSockets.decode("0000000000000000FFFF00000100007F", v6: true) == "::ffff:127.0.0.1")
    }
}
