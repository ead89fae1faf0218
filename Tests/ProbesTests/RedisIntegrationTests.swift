import Foundation
import Lab
import RunbookKit
import Testing
import TestSupport
import Clients
@testable import Probes

/// hiredis against the lab's real Redis.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired))
struct RedisIntegrationTests {
    @Test func commandsAreArgvAndRepliesAreTyped() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let c = try RedisConnection.connect(try RedisURL(parsing: lab.redisURL))
            #expect(try c.command(["PING"]) == .status("PONG"))
            let key = "rbsh:test:\(UUID().uuidString)"
            // A value with spaces and newlines stays one argument.
            #expect(try c.command(["SET", key, "a b\r\nc", "EX", "60"]) == .status("OK"))
            #expect(try c.command(["GET", key]) == .string("a b\r\nc"))
            #expect(try c.command(["DEL", key]) == .integer(1))
            #expect(try c.command(["GET", key]) == .null)
        }
    }

    @Test func aWrongPasswordIsAnAuthenticationFailure() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            #expect {
                _ = try RedisConnection.connect(try RedisURL(parsing: "redis://:not-the-password@127.0.0.1:\(lab.redisPort)"))
            } throws: { error in
                guard let e = error as? RedisError, case .authenticationFailed = e else { return false }
                return true
            }
            // And no password at all: the first command says NOAUTH.
            let anonymous = try RedisConnection.connect(try RedisURL(parsing: "redis://127.0.0.1:\(lab.redisPort)"))
            #expect { _ = try anonymous.command(["GET", "x"]) } throws: { error in
                guard let e = error as? RedisError, case .authenticationFailed = e else { return false }
                return true
            }
        }
    }

    @Test func wrongTypeAndUnknownScriptsAreTypedErrors() async throws {
        try await LabAccess.sharing {
            let c = try RedisConnection.connect(try RedisURL(parsing: try LabFixture.require().redisURL))
            let key = "rbsh:test:list:\(UUID().uuidString)"
            _ = try c.command(["RPUSH", key, "x"])
            defer { _ = try? c.command(["DEL", key]) }
            #expect { _ = try c.command(["GET", key]) } throws: { ($0 as? RedisError)?.code == "WRONGTYPE" }
            #expect { _ = try c.command(["EVALSHA", String(repeating: "0", count: 40), "0"]) } throws: {
                ($0 as? RedisError)?.code == "NOSCRIPT"
            }
        }
    }

    @Test func aCommandPastTheTimeoutIsATimeout() async throws {
        try await LabAccess.sharing {
            let c = try RedisConnection.connect(try RedisURL(parsing: try LabFixture.require().redisURL), timeout: 0.3)
            let started = Date()
            #expect { _ = try c.command(["BLPOP", "rbsh:test:never:\(UUID().uuidString)", "5"]) } throws: { error in
                guard let e = error as? RedisError, case .timeout = e else { return false }
                return true
            }
            #expect(Date().timeIntervalSince(started) < 2)
        }
    }

    @Test func aClosedPortIsUnreachable() throws {
        let port = LabFixture.closedPort()
        #expect {
            _ = try RedisConnection.connect(RedisURL(host: "127.0.0.1", port: port, username: nil, password: nil, database: 0), timeout: 2)
        } throws: { error in
            guard let e = error as? RedisError, case .unreachable = e else { return false }
            return true
        }
    }

    @Test func infoStepsExposeDerivedFigures() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let r = ProbeRunner(targets: lab.targets).run(
                PendingStep(step: Step(id: "i", title: "i", action: .redis(RedisAction(argv: ["INFO"]))), purpose: .diagnose),
                control: StepControl())
            #expect(r.status == .ok)
            #expect(r.values["maxmemory"] == .number(64 * 1024 * 1024))
            #expect(r.values["maxmemory_policy"] == .string("allkeys-lru"))
            let used = try #require(r.values["memory_used_pct"]?.number)
            #expect(used > 0 && used < 100)
            #expect(r.values["hit_rate"]?.number != nil)
        }
    }
}
