import Foundation
import Testing
@testable import RunbookKit

/// The runbooks assume only what the guide says about the platform: its
/// health endpoint, not the shape of the answer; its port, not the name of
/// the process; TLS only where it is served.
@Suite struct PlatformAssumptionTests {
    static let catalogue = RunbookCatalogue(directories: [], includeBuiltins: true)

    /// Walks management-platform-down with these results for its port and health steps.
    func walk(port: StepResult, health: StepResult) throws -> [String] {
        let book = try Self.catalogue.resolve("management-platform-down")
        var s = RunbookSession(
            runbook: book, policy: RemediationPolicy(mode: .unattended(allow: nil)),
            targets: Targets(api: "http://127.0.0.1:8000").scopeValues)
        var action = s.start()
        while case .run(let p) = action, p.purpose == .diagnose {
            switch p.step.id {
            case "port": action = s.stepFinished(port)
            case "health": action = s.stepFinished(health)
            default: action = s.stepFinished(StepResult(status: .failed, exitCode: 3))
            }
        }
        return s.findings.filter { $0.state == .open && $0.severity != .info }.map(\.id).sorted()
    }

    static let listening = StepResult(status: .ok, values: ["listening": .bool(true), "program": .string("python3"), "pid": .number(42)])

    static func health(_ code: Int, _ json: [String: Value]) -> StepResult {
        var values = json
        values["status_code"] = .number(Double(code))
        values["connected"] = .bool(true)
        values["accepted"] = .bool(true)
        values["answered"] = .bool(true)
        return StepResult(status: (200..<400).contains(code) ? .ok : .failed, values: values)
    }

    @Test func anyHealthAnswerShapeIsReadWhereItSaysSomething() throws {
        // Healthy in every shape, or silent about its database: nothing to say.
        for json: [String: Value] in [
            [:], ["json.status": .string("up")], ["json.database.ok": .bool(true)], ["json.checks.database.status": .string("pass")],
            ["json.components.db.status": .string("UP")], ["json.database": .string("ok")],
        ] {
            #expect(try walk(port: Self.listening, health: Self.health(200, json)) == [], "\(json)")
        }
        // Its database down, in each of the usual shapes.
        for json: [String: Value] in [
            ["json.database.ok": .bool(false)], ["json.database": .bool(false)], ["json.database": .string("down")],
            ["json.checks.database.status": .string("fail")], ["json.components.db.status": .string("DOWN")],
            ["json.database.status": .string("unhealthy")], ["json.db.healthy": .bool(false)],
        ] {
            #expect(try walk(port: Self.listening, health: Self.health(200, json)) == ["api-database-failing"], "\(json)")
        }
        #expect(
            try walk(port: Self.listening, health: Self.health(200, ["json.checks.redis.status": .string("down")])) == ["api-redis-failing"]
        )
        #expect(try walk(port: Self.listening, health: Self.health(204, [:])) == [], "any 2xx is healthy")
    }

    @Test func thePortsHolderIsNamedOnlyOnEvidence() throws {
        // A python3 process that answers its health check is the API.
        #expect(try walk(port: Self.listening, health: Self.health(200, [:])) == [])
        // An unhealthy API still answers: unhealthy, but holding its own port.
        #expect(try walk(port: Self.listening, health: Self.health(503, [:])) == ["api-unhealthy"])
        // Silent until the deadline: hung, whoever it is; nothing says another program holds the port.
        let silent = StepResult(
            status: .timeout, error: "timed out",
            values: ["accepted": .bool(true), "answered": .bool(false), "error_kind": .string("timeout")])
        #expect(try walk(port: Self.listening, health: silent) == ["api-hung"])
        // A timeout that says nothing of the connection says nothing at all.
        #expect(try walk(port: Self.listening, health: StepResult(status: .timeout, error: "timed out")) == [])
        // Another protocol's bytes: that is another program (or the API misconfigured), named with what it said.
        let other = StepResult(
            status: .failed, error: "it answered, not in HTTP",
            values: [
                "accepted": .bool(true), "answered": .bool(true), "connected": .bool(false), "error_kind": .string("protocol"),
                "first_bytes": .string("SSH-2.0-OpenSSH_9.2"),
            ])
        #expect(try walk(port: Self.listening, health: other) == ["api-port-taken"])
    }

    @Test func tlsIsCheckedOnlyWhereThePlatformServesIt() throws {
        let book = try Self.catalogue.resolve("websocket-failure")
        func path(_ api: String) -> [String] {
            var s = RunbookSession(
                runbook: book, policy: RemediationPolicy(mode: .unattended(allow: nil)), targets: Targets(api: api).scopeValues)
            var action = s.start()
            var steps: [String] = []
            while case .run(let p) = action, p.purpose == .diagnose {
                steps.append(p.step.id)
                action = s.stepFinished(
                    StepResult(status: .ok, exitCode: 0, values: ["connected": .bool(true), "upgraded": .bool(true), "pong": .bool(true)]))
            }
            return steps
        }
        #expect(path("http://mgmt.internal:8000").prefix(2) == ["handshake", "listener"], "plain HTTP: no certificate to check")
        #expect(path("https://mgmt.internal").prefix(3) == ["handshake", "certificate", "listener"])
        let secure = Targets(api: "https://mgmt.internal").scopeValues
        #expect(secure["api.ws"] == .string("wss://mgmt.internal:443") && secure["api.tls_port"] == .number(443))
    }
}
