import Foundation
import Testing

@testable import TestSupport

/// A PostgreSQL target on a Unix socket (libpq's `host=/dir`, the way a database on the same machine is often
/// reached) is checked where libpq connects: its socket file, not a TCP port nobody configured.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired))
struct SocketTargetTests {
    @Test func theLabsDatabaseOnItsSocketIsHealthy() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let target = "postgresql://postgres:\(lab.password)@/network_probe?host=\(lab.directory)/sockets&port=\(lab.postgresPort)"
            let p = try RbshProcess.run(["run", "db-connection-failure", "--postgres", target, "--transcript", "/dev/null"])
            #expect(p.status == 0, "\(p.stdout)\n\(p.stderr)")
            #expect(p.stdout.contains("[1/7] accepting  Is PostgreSQL accepting connections?  ok"), "\(p.stdout)")
            #expect(!p.stdout.contains("CRITICAL"), "\(p.stdout)")
        }
    }

    @Test func aSocketNobodyListensOnIsNotAcceptingAndNamed() throws {
        let empty = NSTemporaryDirectory() + "rbsh-nosocket-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let p = try RbshProcess.run([
            "run", "db-connection-failure", "--postgres", "host=\(empty) port=5432 dbname=network_probe", "--transcript", "/dev/null",
        ])
        #expect(p.status == 2, "\(p.stdout)\n\(p.stderr)")
        #expect(
            p.stdout.contains("CRITICAL postgres-unreachable: PostgreSQL at \(empty)/.s.PGSQL.5432 is not accepting connections"),
            "\(p.stdout)")
    }
}
