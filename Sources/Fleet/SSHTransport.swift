import Clients
import Foundation

/// Reaches hosts with the `ssh` binary, the user's own: their
/// `~/.ssh/config`, agent and known_hosts keep working, and host keys are
/// checked as they say. rbsh adds only one connection per host
/// (ControlMaster, its socket in a private 0700 folder), `BatchMode=yes`
/// (nothing waits for a password nobody types) and a connect timeout.
public final class SSHTransport: Sendable {
    /// Where the ControlMaster sockets live.
    public let controlDirectory: String
    public let connectTimeout: Int
    /// How long a master outlives the run (`ControlPersist`), when it should;
    /// nil: each run opens its own and closes them at the end.
    public let persist: String?
    /// The program run: `ssh`, unless RBSH_SSH names another.
    public let program: String

    /// A transport whose sockets go in a new private folder (or, with
    /// `persist`, in the user's kept one, reused by the next run).
    public init(connectTimeout: Int = 5, persist: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(InventoryError)
    {
        self.connectTimeout = connectTimeout
        self.persist = persist
        self.program = environment["RBSH_SSH"] ?? "ssh"
        let base =
            environment["XDG_RUNTIME_DIR"].flatMap { FileManager.default.isWritableFile(atPath: $0) ? $0 : nil } ?? NSTemporaryDirectory()
        if persist != nil {
            // Kept across runs: one folder per user, never anyone else's.
            let dir = (base as NSString).appendingPathComponent("rbsh-ssh-\(getuid())")
            mkdir(dir, 0o700)
            var st = stat()
            guard lstat(dir, &st) == 0, st.st_uid == getuid(), (st.st_mode & S_IFMT) == S_IFDIR, st.st_mode & 0o077 == 0 else {
                throw InventoryError("\(dir) is not a private folder of this user's; the ssh connections cannot be kept there")
            }
            controlDirectory = dir
        } else {
            var template = Array(((base as NSString).appendingPathComponent("rbsh-ssh.XXXXXX")).utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ p in p.baseAddress.flatMap { mkdtemp($0) } }) else {
                throw InventoryError("cannot make a private folder for the ssh connections: \(String(cString: strerror(errno)))")
            }
            controlDirectory = String(cString: made)
        }
    }

    /// The command line that runs `remote` on `host`, through its master connection.
    public func argv(_ host: FleetHost, remote: String) -> [String] {
        [program] + options(host) + [host.address, remote]
    }

    /// ssh's options for `host`: rbsh's, then the inventory's.
    func options(_ host: FleetHost) -> [String] {
        var args: [String] = []
        args += ["-o", "BatchMode=yes", "-o", "ConnectTimeout=\(connectTimeout)"]
        // Not kept, a master still goes by itself a minute after its last use: one whose rbsh was
        // killed before closing it does not stay for ever. (A pause longer than that costs a new handshake.)
        args += ["-o", "ControlMaster=auto", "-o", "ControlPath=\(controlPath(host))", "-o", "ControlPersist=\(persist ?? "60")"]
        // A dead link is found within seconds, not the kernel's minutes.
        args += ["-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=2"]
        args += ["-o", "LogLevel=ERROR"]
        if let port = host.port { args += ["-p", String(port)] }
        if let user = host.user { args += ["-l", user] }
        if let key = host.privateKeyFile { args += ["-i", key] }
        args += host.commonArgs
        return args
    }

    /// The master's socket for `host`: named by everything that decides the
    /// connection (address, port, user, key, the inventory's ssh arguments),
    /// so that only the same connection is ever reused, and short enough for
    /// a socket's path.
    public func controlPath(_ host: FleetHost) -> String {
        let identity = ([host.address, host.port.map(String.init) ?? "", host.user ?? "", host.privateKeyFile ?? ""] + host.commonArgs)
            .joined(separator: "\u{0}")
        let name =
            FileDigest.sha256(Data(identity.utf8)).map { String($0.prefix(32)) } ?? String(UInt(bitPattern: identity.hashValue), radix: 16)
        return controlDirectory + "/" + name
    }

    /// Whether a master answers on `host`'s socket: a connect to it, no process started.
    func masterAnswers(_ host: FleetHost) -> Bool {
        let path = controlPath(host)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return false }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return rc == 0
    }

    /// Opens the host's master connection; nil when it is up, else ssh's
    /// one-line reason (unreachable, a refused key, an unknown host key).
    public func connect(_ host: FleetHost, runner: ShellRunner = ShellRunner(), interrupted: @Sendable () -> Bool = { false }) -> String? {
        // A master kept from an earlier run is used as it is; a dead one's socket goes.
        if persist != nil {
            if masterAnswers(host) { return nil }
            unlink(controlPath(host))
        }
        // The master alone, no session on the host: it authenticates, then goes to the background.
        let outcome = runner.run(
            argv: [program] + options(host) + ["-N", "-f", host.address], timeout: Double(connectTimeout) + 5, interrupted: interrupted)
        switch outcome.ending {
        case .exited(0): return nil
        case .exited: return Self.reason(outcome.output.text) ?? "ssh failed"
        case .signalled(let s): return "ssh was killed by signal \(s)"
        case .timedOut: return "no answer within \(connectTimeout + 5) s"
        case .interrupted: return "interrupted"
        case .failedToStart(let m): return m
        }
    }

    /// Closes the master connections of `hosts` (unless they are kept) and
    /// the private folder with them.
    public func close(_ hosts: [FleetHost]) {
        guard persist == nil else { return }
        let runner = ShellRunner()
        let done = DispatchGroup()
        for host in hosts {
            done.enter()
            let args =
                [program, "-o", "ControlPath=\(controlDirectory)/%C", "-O", "exit"] + (host.port.map { ["-p", String($0)] } ?? [])
                + (host.user.map { ["-l", $0] } ?? []) + host.commonArgs + [host.address]
            Thread {
                _ = runner.run(argv: args, timeout: 5)
                done.leave()
            }.start()
        }
        done.wait()
        try? FileManager.default.removeItem(atPath: controlDirectory)
    }

    /// ssh's last meaningful line of complaint.
    static func reason(_ output: String) -> String? {
        output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .last { !$0.isEmpty && !$0.hasPrefix("@") && !$0.hasPrefix("Warning: Permanently added") }
    }
}
