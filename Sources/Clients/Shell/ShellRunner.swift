import Foundation
import OutputCapture

/// How a shell command ended.
public struct ShellOutcome: Sendable {
    public enum Ending: Sendable, Hashable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        case interrupted
        case failedToStart(String)
    }
    public var ending: Ending
    public var output: CapturedOutput
    public var durationMilliseconds: Double
}

/// Runs a command under `/bin/sh -c` in a process group of its own.
///
/// Output streams to `onOutput` as it comes and is captured within a cap.
/// On timeout or interrupt the whole group gets SIGTERM, then SIGKILL after
/// `grace` seconds, so grandchildren (`journalctl -f | grep`) go too.
public struct ShellRunner: Sendable {
    public var captureLimit: Int
    public var grace: Double

    public init(captureLimit: Int = 1 << 20, grace: Double = 2) {
        self.captureLimit = captureLimit
        self.grace = grace
    }

    public func run(
        _ command: String, environment: [String: String] = [:], timeout: Double,
        interrupted: @Sendable () -> Bool = { false },
        onOutput: (UnsafeRawBufferPointer, Int32) -> Void = { _, _ in }
    ) -> ShellOutcome {
        let shell = FileManager.default.isExecutableFile(atPath: "/bin/bash") ? "/bin/bash" : "/bin/sh"
        return run(
            argv: [shell, "-c", command], environment: environment, timeout: timeout,
            interrupted: interrupted, onOutput: onOutput)
    }

    /// Runs a program directly, no shell between: `argv[0]` is its path.
    /// `stdinPath` is a file to read as standard input (else /dev/null).
    /// `holdingInput`: standard input is a pipe this side keeps open until
    /// the program ends, so that a program reading it (`ssh`, and the remote
    /// command behind it) sees its end only when the step is over or stopped.
    public func run(
        argv: [String], environment: [String: String] = [:], timeout: Double, stdinPath: String = "/dev/null",
        holdingInput: Bool = false,
        interrupted: @Sendable () -> Bool = { false },
        onOutput: (UnsafeRawBufferPointer, Int32) -> Void = { _, _ in }
    ) -> ShellOutcome {
        let started = ContinuousClock.now
        func elapsed() -> Double {
            let d = ContinuousClock.now - started
            return d.milliseconds
        }
        var capture = BoundedCapture(limit: captureLimit)

        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard Self.makePipe(&outPipe) else {
            return ShellOutcome(
                ending: .failedToStart("pipe: \(String(cString: strerror(errno)))"), output: capture.captured, durationMilliseconds: 0)
        }
        guard Self.makePipe(&errPipe) else {
            close(outPipe[0]); close(outPipe[1])
            return ShellOutcome(
                ending: .failedToStart("pipe: \(String(cString: strerror(errno)))"), output: capture.captured, durationMilliseconds: 0)
        }

        var inPipe: [Int32] = [-1, -1]
        if holdingInput, !Self.makePipe(&inPipe) {
            close(outPipe[0]); close(outPipe[1]); close(errPipe[0]); close(errPipe[1])
            return ShellOutcome(
                ending: .failedToStart("pipe: \(String(cString: strerror(errno)))"), output: capture.captured, durationMilliseconds: 0)
        }
        let input: Self.Input = holdingInput ? .descriptor(inPipe[0]) : .file(stdinPath)
        let spawned = Self.spawn(argv, environment: environment, stdin: input, stdout: outPipe[1], stderr: errPipe[1])
        close(outPipe[1])
        close(errPipe[1])
        if holdingInput { close(inPipe[0]) }
        // The write end closes when the program is over, whichever way it ended.
        defer { if holdingInput { close(inPipe[1]) } }
        guard case .success(let pid) = spawned else {
            close(outPipe[0]); close(errPipe[0])
            if case .failure(let message) = spawned {
                return ShellOutcome(ending: .failedToStart(message.text), output: capture.captured, durationMilliseconds: elapsed())
            }
            return ShellOutcome(ending: .failedToStart("spawn failed"), output: capture.captured, durationMilliseconds: elapsed())
        }

        var fds: [Int32] = [outPipe[0], errPipe[0]]
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        defer { for fd in fds where fd >= 0 { close(fd) } }

        let deadline = started + .milliseconds(Int(timeout * 1000))
        var stopReason: ShellOutcome.Ending?
        var termSentAt: ContinuousClock.Instant?
        var killed = false
        var status: Int32 = 0
        var reaped = false
        var reapedAt: ContinuousClock.Instant?
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var idle: useconds_t = 100

        while true {
            // Read whatever is there.
            var polls = fds.filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if !polls.isEmpty {
                _ = poll(&polls, nfds_t(polls.count), 50)
                for p in polls where p.revents != 0 {
                    let stream: Int32 = p.fd == fds[0] ? 1 : 2
                    while true {
                        let n = buffer.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                        if n > 0 {
                            buffer.withUnsafeBytes { raw in
                                let slice = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                                capture.append(slice)
                                onOutput(slice, stream)
                            }
                            if n < buffer.count { break }
                        } else if n == 0 {
                            if let i = fds.firstIndex(of: p.fd) { close(p.fd); fds[i] = -1 }
                            break
                        } else {
                            if errno == EINTR { continue }
                            break
                        }
                    }
                }
            } else if !reaped {
                // The pipes closed as the child exits: it is reaped within a moment,
                // so look again soon, then less often (a child that closed them and runs on).
                usleep(idle)
                idle = min(idle * 2, 20_000)
            }

            if !reaped {
                let r = waitpid(pid, &status, WNOHANG)
                if r == pid { reaped = true; reapedAt = .now }
            }
            // Done when the child is gone and its pipes are drained (or a moment passed:
            // a background grandchild may hold them open forever).
            if reaped {
                if fds.allSatisfy({ $0 < 0 }) { break }
                if let at = reapedAt, ContinuousClock.now - at > .milliseconds(200) { break }
            }

            let now = ContinuousClock.now
            if stopReason == nil {
                if interrupted() { stopReason = .interrupted } else if now >= deadline { stopReason = .timedOut }
                if stopReason != nil {
                    kill(-pid, SIGTERM)
                    kill(-pid, SIGCONT)
                    termSentAt = now
                }
            } else if !killed, let sent = termSentAt, now - sent >= .milliseconds(Int(grace * 1000)) {
                kill(-pid, SIGKILL)
                killed = true
            }
            if reaped, stopReason != nil, fds.allSatisfy({ $0 < 0 }) { break }
        }
        if stopReason != nil {
            // Whatever of the group is left does not outlive the step.
            kill(-pid, SIGKILL)
        }

        let ending: ShellOutcome.Ending
        if let stopReason {
            ending = stopReason
        } else if Self.exited(status) {
            ending = .exited(Self.exitStatus(status))
        } else {
            ending = .signalled(Self.termSignal(status))
        }
        return ShellOutcome(ending: ending, output: capture.captured, durationMilliseconds: elapsed())
    }

    // MARK: - Spawning

    struct SpawnError: Error { var text: String }

    /// A child's standard input: a file opened for it, or a descriptor it gets a copy of.
    enum Input {
        case file(String)
        case descriptor(Int32)
    }

    private static func spawn(_ args: [String], environment: [String: String], stdin: Input, stdout: Int32, stderr: Int32) -> Result<
        pid_t, SpawnError
    > {
        guard let program = args.first else { return .failure(SpawnError(text: "nothing to run")) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }

        // A group of its own, signals back to their defaults, nothing blocked.
        var flags = Int32(POSIX_SPAWN_SETPGROUP) | Int32(POSIX_SPAWN_SETSIGDEF) | Int32(POSIX_SPAWN_SETSIGMASK)
        posix_spawnattr_setflags(&attr, Int16(truncatingIfNeeded: flags))
        posix_spawnattr_setpgroup(&attr, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGCHLD, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        flags = 0

        // No terminal input: a step in a background group that read it would stop.
        switch stdin {
        case .file(let path): posix_spawn_file_actions_addopen(&actions, 0, path, O_RDONLY, 0)
        case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let envStrings = env.map { "\($0.key)=\($0.value)" }

        var pid: pid_t = 0
        var rc: Int32 = 0
        // "Text file busy": the program is open for writing somewhere, often only because another thread's
        // child inherited the descriptor of a file just written, for the moment before its exec. Tried again
        // for up to about a third of a second in all, as Go's os/exec does.
        for attempt in 0..<Self.busyRetries {
            rc = withCStrings(args) { argv in
                withCStrings(envStrings) { envp in
                    posix_spawnp(
                        &pid, program, &actions, &attr,
                        UnsafeMutablePointer(mutating: argv).withMemoryRebound(
                            to: UnsafeMutablePointer<CChar>?.self, capacity: args.count + 1
                        ) { $0 },
                        UnsafeMutablePointer(mutating: envp).withMemoryRebound(
                            to: UnsafeMutablePointer<CChar>?.self, capacity: envStrings.count + 1
                        ) { $0 })
                }
            }
            guard rc == ETXTBSY, attempt < Self.busyRetries - 1 else { break }
            usleep(useconds_t(min(5_000 << attempt, 100_000)))
        }
        guard rc == 0 else { return .failure(SpawnError(text: "cannot start \(program): \(String(cString: strerror(rc)))")) }
        return .success(pid)
    }

    /// How many times a program that is "text file busy" is tried (waits of 5, 10, 20, 40, 80, then 100 ms).
    static let busyRetries = 8

    /// A pipe whose ends close on exec (the child gets them only through dup2).
    static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    // The W* macros are not imported into Swift.
    static func exited(_ status: Int32) -> Bool { status & 0x7f == 0 }
    static func exitStatus(_ status: Int32) -> Int32 { (status >> 8) & 0xff }
    static func termSignal(_ status: Int32) -> Int32 { status & 0x7f }
}
