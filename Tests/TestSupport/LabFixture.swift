import Clients
import Foundation
import Lab
import Probes
import RunbookKit
import Testing

/// The lab the test command started, for integration tests.
///
/// `scripts/test` starts it and sets RBSH_REQUIRE_LAB=1; there a missing lab
/// fails the run. A plain `swift test` without a lab skips these tests.
public enum LabFixture {
    public static var state: LabState? { LabState.load() }
    public static var isUp: Bool { state != nil }
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["RBSH_REQUIRE_LAB"] == "1" }

    /// The lab's state, or a recorded failure.
    /// How many queries whose text holds `marker` are running on the lab's server now (not this one).
    public static func activeQueries(_ lab: LabState, marker: String) throws -> Int {
        let c = try PostgresConnection.connect(lab.postgresURL)
        let r = try c.query(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()",
            params: ["%\(marker)%"])
        return Int(r.rows.first?.first.flatMap { $0 } ?? "") ?? -1
    }

    public static func require(sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> LabState {
        try #require(Self.state, "the lab is not up: run scripts/test, or `rbsh lab up`", sourceLocation: sourceLocation)
    }

    /// The rbsh binary built beside the tests.
    public static var binary: String {
        if let b = ProcessInfo.processInfo.environment["RBSH_BINARY"], !b.isEmpty { return b }
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        var dir = (exe as NSString).deletingLastPathComponent
        while !dir.isEmpty, dir != "/" {
            let candidate = dir + "/rbsh"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = (dir as NSString).deletingLastPathComponent
        }
        return "rbsh"
    }

    /// A port nothing listens on: bound once, then closed.
    public static func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Lets tests share the lab, and lets one test have it alone (to stop its
/// PostgreSQL, say) without breaking the others running in parallel.
public actor LabAccess {
    public static let shared = LabAccess()
    private var readers = 0
    private var writer = false
    private var waiting: [(exclusive: Bool, continuation: CheckedContinuation<Void, Never>)] = []

    public static func sharing<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await shared.acquire(exclusive: false)
        defer { Task { await shared.release(exclusive: false) } }
        return try await body()
    }

    public static func alone<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await shared.acquire(exclusive: true)
        defer { Task { await shared.release(exclusive: true) } }
        return try await body()
    }

    private func acquire(exclusive: Bool) async {
        if canEnter(exclusive: exclusive), waiting.isEmpty {
            enter(exclusive: exclusive)
            return
        }
        await withCheckedContinuation { waiting.append((exclusive, $0)) }
    }

    private func canEnter(exclusive: Bool) -> Bool { exclusive ? (!writer && readers == 0) : !writer }

    private func enter(exclusive: Bool) {
        if exclusive { writer = true } else { readers += 1 }
    }

    private func release(exclusive: Bool) {
        if exclusive { writer = false } else { readers -= 1 }
        while let next = waiting.first, canEnter(exclusive: next.exclusive) {
            waiting.removeFirst()
            enter(exclusive: next.exclusive)
            next.continuation.resume()
        }
    }
}

/// Runs the rbsh binary and collects what it printed.
public struct RbshProcess: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// Runs it through the same process-group runner the shell steps use:
    /// pipes close on exec, so tests running in parallel never hold each
    /// other's output open.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
        timeout: Double = 120
    ) throws -> RbshProcess {
        try runProgram([LabFixture.binary] + arguments, environment: environment, stdin: stdin, timeout: timeout)
    }

    /// Another program (`argv[0]` its path), run the same way.
    public static func runProgram(
        _ argv: [String], environment: [String: String] = [:], stdin: String? = nil, timeout: Double = 120
    ) throws -> RbshProcess {
        let arguments = Array(argv.dropFirst())
        var inputPath = "/dev/null"
        if let stdin {
            inputPath = NSTemporaryDirectory() + "rbsh-stdin-\(UUID().uuidString)"
            try stdin.write(toFile: inputPath, atomically: true, encoding: .utf8)
        }
        defer { if stdin != nil { try? FileManager.default.removeItem(atPath: inputPath) } }
        let collected = Collected()
        let outcome = ShellRunner(captureLimit: 16 << 20).run(
            argv: argv, environment: environment, timeout: timeout, stdinPath: inputPath,
            onOutput: { bytes, stream in collected.append(bytes, stream: stream) })
        switch outcome.ending {
        case .exited(let code):
            return RbshProcess(status: code, stdout: collected.text(1), stderr: collected.text(2))
        case .signalled(let sig):
            return RbshProcess(status: 128 + sig, stdout: collected.text(1), stderr: collected.text(2))
        case .timedOut, .interrupted:
            throw TimeoutError(arguments: arguments)
        case .failedToStart(let message):
            throw StartError(description: message)
        }
    }

    final class Collected: @unchecked Sendable {
        private var streams: [Int32: [UInt8]] = [:]
        func append(_ bytes: UnsafeRawBufferPointer, stream: Int32) { streams[stream, default: []] += bytes }
        func text(_ stream: Int32) -> String { String(decoding: streams[stream] ?? [], as: UTF8.self) }
    }

    public struct StartError: Error, CustomStringConvertible { public var description: String }

    public struct TimeoutError: Error, CustomStringConvertible {
        public var arguments: [String]
        public var description: String { "rbsh \(arguments.joined(separator: " ")) did not finish in time" }
    }
}
