import Foundation
import Testing

@testable import RunbookKit

/// "Nothing listens on the API's port" is said only where nothing answered there either: a port Docker
/// publishes by NAT alone (userland-proxy off), or an API on another host, has no listener on this machine and
/// still accepts the agents' connections.
@Suite struct ListenerEvidenceTests {
    static let websocketFailure = RunbookCatalogue(directories: [], includeBuiltins: true).entries.compactMap(\.runbook)
        .first { $0.id == "websocket-failure" }

    /// The findings of the handshake, then the listener, with these results.
    func findings(handshake: StepResult) throws -> [String] {
        let rb = try #require(Self.websocketFailure)
        let targets: [String: Value] = [
            "targets.api.host": .string("127.0.0.1"), "targets.api.port": .number(8000), "targets.api.ws": .string("ws://127.0.0.1:8000"),
        ]
        var s = RunbookSession(runbook: rb, policy: RemediationPolicy(mode: .unattended(allow: nil)), targets: targets)
        var action = s.start()
        var ran: [String] = []
        while case .run(let pending) = action, ran.count < 3 {
            ran.append(pending.step.id)
            switch pending.step.id {
            case "handshake": action = s.stepFinished(handshake)
            case "listener": action = s.stepFinished(StepResult(status: .failed, values: ["listening": .bool(false), "count": .number(0)]))
            default: action = s.stepFinished(StepResult(status: .ok))
            }
        }
        #expect(ran.starts(with: ["handshake", "listener"]), "\(ran)")
        return s.findings.filter { $0.state != .unknown }.map(\.id)
    }

    @Test func anAPIThatAcceptedIsNotAPortNobodyListensOn() throws {
        let upgraded = StepResult(
            status: .ok, values: ["connected": .bool(true), "accepted": .bool(true), "upgraded": .bool(true), "pong": .bool(true)])
        #expect(!(try findings(handshake: upgraded)).contains("api-port-free"))
        let refused = StepResult(
            status: .failed, error: "connection refused", values: ["connected": .bool(false), "accepted": .bool(false)])
        let found = try findings(handshake: refused)
        #expect(found.contains("api-port-free") && found.contains("ws-unreachable"), "\(found)")
    }
}
