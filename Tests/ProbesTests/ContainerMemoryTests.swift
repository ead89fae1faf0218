import Clients
import Foundation
import Testing
import TestSupport

/// A container's memory read from its control group's files: as `docker stats` counts it (without the inactive
/// page cache), in either cgroup version, and never another process's group.
@Suite struct ContainerMemoryTests {
    /// A /proc and a /sys/fs/cgroup of a test's own.
    func fixture(cgroup: String, files: [String: String]) throws -> (root: String, proc: String) {
        let base = NSTemporaryDirectory() + "rbsh-cgroup-\(UUID().uuidString.prefix(8))"
        for (path, text) in files.merging(["proc/42/cgroup": cgroup]) { $1 } {
            let full = base + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        return (base + "/sys", base + "/proc")
    }

    @Test func version2CountsWithoutTheInactiveCache() throws {
        let f = try fixture(
            cgroup: "0::/system.slice/docker-abc123.scope\n",
            files: [
                "sys/system.slice/docker-abc123.scope/memory.current": "104857600\n",
                "sys/system.slice/docker-abc123.scope/memory.stat": "anon 70000000\nfile 34857600\ninactive_file 20971520\n",
            ])
        #expect(ContainerMemory.used(pid: 42, id: "abc123", root: f.root, proc: f.proc) == 83_886_080)
        // Another container's id: this process's group is not that container's.
        #expect(ContainerMemory.used(pid: 42, id: "def456", root: f.root, proc: f.proc) == nil)
    }

    @Test func version1ReadsTheMemoryController() throws {
        let f = try fixture(
            cgroup: "12:pids:/docker/abc123\n7:memory:/docker/abc123\n",
            files: [
                "sys/memory/docker/abc123/memory.usage_in_bytes": "52428800\n",
                "sys/memory/docker/abc123/memory.stat": "cache 10485760\ntotal_inactive_file 10485760\n",
            ])
        #expect(ContainerMemory.used(pid: 42, id: "abc123", root: f.root, proc: f.proc) == 41_943_040)
    }

    @Test func noProcessNoReading() {
        #expect(ContainerMemory.used(pid: 0, id: "abc") == nil)
        #expect(ContainerMemory.used(pid: Int(getpid()), id: "not-a-container-of-mine") == nil)
    }
}

/// Against the real engine: the files say what the engine's own sample says.
@Suite(.enabled(if: TestDocker.engine != nil, "needs the test command's dockerd (RBSH_TEST_DOCKER_HOST)"))
struct ContainerMemoryEngineTests {
    let project = "rbsh-mem-\(UUID().uuidString.prefix(8).lowercased())"

    @Test func theControlGroupAgreesWithDockerStats() throws {
        defer { TestDocker.removeProject(project) }
        let engine = try #require(TestDocker.engine)
        try TestDocker.run(
            project: project, service: "api", options: "--memory 256m",
            "/usr/bin/python3 -c 'import time; b = bytearray(64 << 20); time.sleep(300)'")
        let running = try TestDocker.state(project: project, service: "api") { $0.status == "running" && $0.pid > 0 }
        var fromFiles: Double?
        var fromEngine: Double?
        for _ in 0..<50 {
            fromFiles = ContainerMemory.used(pid: running.pid, id: running.id)
            fromEngine = try engine.memory(running.id, timeout: 5)?.used
            if let a = fromFiles, let b = fromEngine, a > 60 * 1_048_576, abs(a - b) < 8 * 1_048_576 { break }
            usleep(100_000)
        }
        let files = try #require(fromFiles, "the container's cgroup is readable on the engine's machine")
        let stats = try #require(fromEngine)
        #expect(files > 60 * 1_048_576, "the 64 MiB it holds: \(files)")
        #expect(abs(files - stats) < 8 * 1_048_576, "files \(files), docker stats \(stats)")
    }
}
