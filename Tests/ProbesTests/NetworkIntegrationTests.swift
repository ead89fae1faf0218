import Foundation
import Lab
import RunbookKit
import Testing
import TestSupport
import Clients
@testable import Probes

/// HTTP, TCP and the WebSocket handshake against the lab's API stub.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired))
struct NetworkIntegrationTests {
    @Test func theHealthEndpointAnswersWithJSONFields() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let r = ProbeRunner(targets: lab.targets).run(
                PendingStep(
                    step: Step(id: "h", title: "h", action: .http(HTTPAction(url: lab.apiURL + "/api/v1/health"))), purpose: .diagnose),
                control: StepControl())
            #expect(r.status == .ok)
            #expect(r.values["status_code"] == .number(200))
            #expect(r.values["json.status"] == .string("healthy"))
            #expect(r.values["json.database.ok"] == .bool(true))
            #expect(r.values["json.redis.ok"] == .bool(true))
        }
    }

    @Test func aRefusedPortIsAFailedCheckNotACrash() {
        let port = LabFixture.closedPort()
        let runner = ProbeRunner(targets: Targets())
        let tcp = runner.run(
            PendingStep(step: Step(id: "t", title: "t", action: .tcp(TCPAction(address: "127.0.0.1:\(port)"))), purpose: .diagnose),
            control: StepControl())
        #expect(tcp.status == .failed)
        #expect(tcp.values["error_kind"] == .string("refused"))
        #expect(tcp.values["connected"] == .bool(false))
        #expect(tcp.durationMilliseconds > 0, "a failed step still says how long it took")
        let http = runner.run(
            PendingStep(step: Step(id: "h", title: "h", action: .http(HTTPAction(url: "http://127.0.0.1:\(port)/"))), purpose: .diagnose),
            control: StepControl())
        #expect(http.status == .failed)
        #expect(http.error?.contains("refused") == true)
    }

    @Test func aNameThatDoesNotResolveIsADNSError() {
        let r = ProbeRunner(targets: Targets()).run(
            PendingStep(
                step: Step(id: "d", title: "d", action: .tcp(TCPAction(address: "no-such-host.invalid:80")), timeout: 5), purpose: .diagnose
            ),
            control: StepControl())
        #expect(r.status == .error)
        #expect(r.values["error_kind"] == .string("dns"))
    }

    @Test func theStubCompletesAWebSocketHandshakeAndAnswersPings() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let deadline = ContinuousClock.now + .seconds(5)
            let socket = try TCPSocket.connect(host: "127.0.0.1", port: lab.apiPort, timeout: 5)
            let key = "dGhlIHNhbXBsZSBub25jZQ=="
            try socket.write(
                Array(
                    "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
                        .utf8), deadline: deadline)
            var data: [UInt8] = []
            while data.firstRange(of: [13, 10, 13, 10]) == nil { data += try socket.read(deadline: deadline) }
            let head = String(decoding: data, as: UTF8.self)
            #expect(head.hasPrefix("HTTP/1.1 101"))
            #expect(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
            try socket.write(WebSocketFrame.encode(opcode: 0x9, payload: Array("hi".utf8), masked: true), deadline: deadline)
            var frame: [UInt8] = []
            while WebSocketFrame.parse(frame) == nil { frame += try socket.read(deadline: deadline) }
            let pong = try #require(WebSocketFrame.parse(frame))
            #expect(pong.opcode == 0xA)
            #expect(pong.payload == Array("hi".utf8))
        }
    }
}
