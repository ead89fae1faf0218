import Foundation
import Testing

@testable import Fleet

/// How rbsh calls ssh: its own options, then the inventory's; one socket per distinct connection.
@Suite struct SSHTransportTests {
    @Test func aMasterNotKeptGoesByItselfAndOneKeptLastsAsAsked() throws {
        let host = FleetHost(name: "agent-01", address: "198.18.9.2", port: 2222, user: "ops", commonArgs: ["-o", "UserKnownHostsFile=/k"])
        let once = try SSHTransport(environment: ["XDG_RUNTIME_DIR": "/nonexistent"])
        defer { once.close([]) }
        let argv = once.argv(host, remote: "true")
        #expect(argv.contains("ControlPersist=60") && argv.contains("BatchMode=yes") && argv.contains("ConnectTimeout=5"))
        // The inventory's arguments come after rbsh's (ssh takes an option's first value), then the address and command.
        #expect(Array(argv.suffix(4)) == ["-o", "UserKnownHostsFile=/k", "198.18.9.2", "true"])
        #expect(!argv.contains { $0.contains("StrictHostKeyChecking") })
        var st = stat()
        #expect(stat(once.controlDirectory, &st) == 0 && st.st_mode & 0o777 == 0o700)
        once.close([])
        #expect(!FileManager.default.fileExists(atPath: once.controlDirectory))

        let runtime = NSTemporaryDirectory() + "rbsh-runtime-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: runtime) }
        let kept = try SSHTransport(persist: "5m", environment: ["XDG_RUNTIME_DIR": runtime])
        #expect(kept.argv(host, remote: "true").contains("ControlPersist=5m"))
        #expect(kept.controlDirectory == runtime + "/rbsh-ssh-\(getuid())")
    }

    @Test func onlyTheSameConnectionSharesASocket() throws {
        let t = try SSHTransport(environment: ["XDG_RUNTIME_DIR": "/nonexistent"])
        defer { t.close([]) }
        let a = FleetHost(name: "a", address: "198.18.9.2", user: "ops")
        var sameElsewhere = a
        sameElsewhere.name = "another name for it"
        var otherUser = a
        otherUser.user = "root"
        var otherPort = a
        otherPort.port = 2222
        #expect(t.controlPath(a) == t.controlPath(sameElsewhere))
        #expect(Set([t.controlPath(a), t.controlPath(otherUser), t.controlPath(otherPort)]).count == 3)
        // Short enough for a socket's path (108 bytes on Linux).
        #expect(t.controlPath(a).utf8.count < 108)
    }
}
