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
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
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

    public static func run(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
                           timeout: Double = 120) throws -> RbshProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LabFixture.binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes while it runs, so neither fills up.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            throw TimeoutError(arguments: arguments)
        }
        process.waitUntilExit()
        return RbshProcess(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                           stderr: String(decoding: errData, as: UTF8.self))
    }

    public struct TimeoutError: Error, CustomStringConvertible {
        public var arguments: [String]
        public var description: String { "rbsh \(arguments.joined(separator: " ")) did not finish in time" }
    }
}
