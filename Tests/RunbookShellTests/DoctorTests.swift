import Foundation
import Lab
import Testing
import TestSupport

/// `rbsh doctor`: one line a check, exit 0 only when all is well.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired))
struct DoctorTests {
    /// Runs rbsh in `folder` with `environment` added; status and standard output.
    static func doctor(_ arguments: [String], in folder: String, environment: [String: String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: LabFixture.binary)
        p.arguments = ["doctor"] + arguments
        p.currentDirectoryURL = URL(fileURLWithPath: folder)
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The lab's faults come and go in other suites: it reads the lab while none is injected.
    @Test func allWellOnTheLabAndEachProblemNamed() async throws {
        try await LabAccess.sharing {
            _ = try LabFixture.require()
            let dir = NSTemporaryDirectory() + "rbsh-doctor-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir + "/state/rbsh", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let env = ["XDG_STATE_HOME": dir + "/state", "RBSH_LAB_DIR": LabState.defaultDirectory]
            let (ok, text) = try Self.doctor([], in: dir, environment: env)
            #expect(ok == 0, "\(text)")
            #expect(text.split(separator: "\n").count == 6 && !text.contains("FAIL"), "\(text)")
            #expect(text.contains("(from the lab): answers in"))

            // A target that does not answer, a history others can read, a folder that is a file, a broken runbook.
            try "x".write(toFile: dir + "/state/rbsh/history", atomically: true, encoding: .utf8)
            chmod(dir + "/state/rbsh/history", 0o644)
            try? FileManager.default.removeItem(atPath: dir + "/transcripts")
            try "not a folder".write(toFile: dir + "/transcripts", atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
            try "id: broken\ntitle: Broken\ncategory: tool\nsteps: []\n".write(
                toFile: dir + "/runbooks/broken.yaml", atomically: true, encoding: .utf8)
            let (bad, report) = try Self.doctor(["--redis", "redis://127.0.0.1:\(LabFixture.closedPort())"], in: dir, environment: env)
            #expect(bad == 1)
            let lines = report.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.hasPrefix("FAIL redis") && $0.contains("(from --redis)") }, "\(report)")
            #expect(lines.contains { $0.hasPrefix("FAIL history") && $0.contains("mode 644") }, "\(report)")
            #expect(lines.contains { $0.hasPrefix("FAIL transcripts") }, "\(report)")
            #expect(lines.contains { $0.hasPrefix("FAIL runbooks") && $0.contains("broken.yaml") }, "\(report)")
            #expect(lines.contains { $0.hasPrefix("ok   postgres") }, "\(report)")
        }
    }
}
