import Foundation
import Testing
import TestSupport

/// A target that cannot be a target is a usage error (exit 64) naming where
/// it came from, never a finding that sends the operator to restart a
/// healthy database.
@Suite struct BadTargetTests {
    static let bad: [(target: String, flag: String, env: String, value: String, says: String)] = [
        ("postgres", "--postgres", "DATABASE_URL", "postgres://x:hunter2-pw@[::1", "IPv6 host address"),
        ("postgres", "--postgres", "DATABASE_URL", "postgres://127.0.0.1:99999/network_probe", "port 99999"),
        ("redis", "--redis", "REDIS_URL", "redis://:hunter2-pw@127.0.0.1:99999/0", "port 99999"),
        ("redis", "--redis", "REDIS_URL", "http://127.0.0.1:6379", "scheme `http`"),
        ("api", "--api", "API_URL", "ftp://127.0.0.1", "scheme `ftp`"),
        ("api", "--api", "API_URL", "http://127.0.0.1:70000", "port 70000"),
    ]

    static func expectUsage(_ p: RbshProcess, from: String, says: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(p.status == 64, "\(p.stdout) \(p.stderr)", sourceLocation: sourceLocation)
        #expect(p.stderr.split(separator: "\n").count == 1, "\(p.stderr)", sourceLocation: sourceLocation)
        #expect(p.stderr.contains(from) && p.stderr.contains(says), "\(p.stderr)", sourceLocation: sourceLocation)
        #expect(!p.stderr.contains("hunter2-pw") && !p.stdout.contains("hunter2-pw"), sourceLocation: sourceLocation)
        #expect(!p.stdout.contains("CRITICAL"), "a typo is no outage", sourceLocation: sourceLocation)
    }

    @Test func fromAFlag() throws {
        for b in Self.bad {
            let p = try RbshProcess.run(["run", "db-connection-failure", b.flag, b.value, "--transcript", "/dev/null"])
            Self.expectUsage(p, from: "from \(b.flag)", says: b.says)
        }
    }

    @Test func fromTheEnvironment() throws {
        for b in Self.bad {
            let p = try RbshProcess.run(["run", "db-connection-failure", "--transcript", "/dev/null"], environment: [b.env: b.value])
            Self.expectUsage(p, from: "the environment variable \(b.env)", says: b.says)
        }
    }

    @Test func fromTheConfigFile() throws {
        let dir = NSTemporaryDirectory() + "rbsh-badcfg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (i, b) in Self.bad.enumerated() {
            let config = dir + "/config-\(i).yaml"
            try "targets:\n  \(b.target): \"\(b.value)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
            let p = try RbshProcess.run(["shell", "--config", config, "--transcript", "/dev/null"], stdin: "quit\n")
            Self.expectUsage(p, from: "the config file \(config) (targets.\(b.target))", says: b.says)
        }
    }
}
