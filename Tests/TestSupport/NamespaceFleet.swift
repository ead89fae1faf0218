import Clients
import Foundation

/// A fleet of real sshd hosts, each in a network namespace of its own,
/// started by `scripts/fleet` for a test and stopped after it.
public final class NamespaceFleet: Sendable {
    public let directory: String
    public let inventory: String
    public let count: Int

    /// Whether namespaces and sshd are there to make a fleet with (root, ip, sshd).
    public static var canMake: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd")
            && (FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip"))
    }

    static var script: String {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/fleet").path
    }

    /// Starts `count` hosts, agent-01...; throws with the script's error.
    public init(count: Int) throws {
        directory = NSTemporaryDirectory() + "rbsh-fleet-\(UUID().uuidString.prefix(8))"
        self.count = count
        inventory = directory + "/inventory.ini"
        try Self.fleet(["up", String(count), directory])
    }

    /// Something listens on `port` on `host`.
    public func listen(_ host: String, port: Int) throws { try Self.fleet(["listen", directory, host, String(port)]) }

    /// `host`'s sshd stops: connections to it are refused.
    public func stop(_ host: String) throws { try Self.fleet(["stop", directory, host]) }

    /// `host` drops every packet: its replies go nowhere, so a connection waits.
    public func drop(_ host: String) throws { try Self.fleet(["drop", directory, host]) }

    /// Forgets `host`'s key: ssh must refuse to connect to it.
    public func forgetHostKey(_ host: String) throws {
        let address =
            try String(contentsOfFile: inventory, encoding: .utf8).split(separator: "\n")
            .first { $0.hasPrefix(host + " ") }.flatMap { $0.split(separator: "=").last.map(String.init) } ?? ""
        let known = directory + "/known_hosts"
        let kept = try String(contentsOfFile: known, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix(address + " ") }
        try (kept.joined(separator: "\n") + "\n").write(toFile: known, atomically: true, encoding: .utf8)
    }

    public func down() {
        _ = try? Self.fleet(["down", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct FleetError: Error, CustomStringConvertible { var description: String }

    @discardableResult
    static func fleet(_ args: [String]) throws -> String {
        let outcome = ShellRunner().run(argv: ["/bin/bash", script] + args, timeout: 60)
        guard case .exited(0) = outcome.ending else {
            throw FleetError(description: "scripts/fleet \(args.joined(separator: " ")): \(outcome.output.text)")
        }
        return outcome.output.text
    }
}
