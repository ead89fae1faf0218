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
        var args = [program]
        args += ["-o", "BatchMode=yes", "-o", "ConnectTimeout=\(connectTimeout)"]
        args += ["-o", "ControlMaster=auto", "-o", "ControlPath=\(controlDirectory)/%C", "-o", "ControlPersist=\(persist ?? "yes")"]
        // A dead link is found within seconds, not the kernel's minutes.
        args += ["-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=2"]
        args += ["-o", "LogLevel=ERROR"]
        if let port = host.port { args += ["-p", String(port)] }
        if let user = host.user { args += ["-l", user] }
        if let key = host.privateKeyFile { args += ["-i", key] }
        args += host.commonArgs
        args += [host.address, remote]
        return args
    }

    /// Opens the host's master connection; nil when it is up, else ssh's
    /// one-line reason (unreachable, a refused key, an unknown host key).
    public func connect(_ host: FleetHost, runner: ShellRunner = ShellRunner(), interrupted: @Sendable () -> Bool = { false }) -> String? {
        let outcome = runner.run(
            argv: argv(host, remote: "exit 0"), timeout: Double(connectTimeout) + 5, interrupted: interrupted)
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
