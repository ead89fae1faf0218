import Foundation
import Testing
import TestSupport

@testable import Clients

/// Docker's Engine API read through its socket, against the real dockerd the test command starts (Debian's
/// docker.io): containers made here from an image imported offline (an empty root, the machine's /usr mounted
/// read-only), labelled as a Compose project's services.
@Suite(.enabled(if: TestDocker.engine != nil, "needs the test command's dockerd (RBSH_TEST_DOCKER_HOST)"), .serialized)
struct DockerEngineTests {
    static var engine: DockerEngine? { TestDocker.engine }
    let project = "rbsh-test-\(UUID().uuidString.prefix(8).lowercased())"

    func run(_ service: String, _ options: String, _ command: String) throws {
        try TestDocker.run(project: project, service: service, options: options, command)
    }

    func state(_ service: String, until done: (ContainerState) -> Bool) throws -> ContainerState {
        try TestDocker.state(project: project, service: service, until: done)
    }

    @Test func containersAreReadAsStateNotText() throws {
        let engine = try #require(Self.engine)
        defer { TestDocker.removeProject(project) }

        try run("web", "--memory 64m", "/usr/bin/sleep 300")
        try run("job", "", "/bin/sh -c 'echo to stdout; echo warming up >&2; echo last words >&2; exit 3'")
        try run("hog", "--memory 32m --memory-swap 32m", "/usr/bin/python3 -c 'bytearray(256 << 20)'")
        try run("flappy", "--restart on-failure:2", "/bin/sh -c 'echo attempt; exit 1'")
        try run("sick", "--health-cmd 'exit 1' --health-interval 1s --health-retries 1", "/usr/bin/sleep 300")

        let web = try state("web") { $0.status == "running" }
        #expect(web.status == "running" && web.exitCode == 0 && !web.oomKilled && web.health == "")
        #expect(web.project == project && web.name == "\(project)-web" && !web.startedAt.isEmpty)
        #expect(web.memoryLimit == 64 * 1024 * 1024)
        let memory = try #require(try engine.memory(web.id, timeout: 10))
        #expect(memory.used > 0 && memory.limit == 64 * 1024 * 1024, "\(memory)")

        let job = try state("job") { $0.status == "exited" }
        #expect(job.status == "exited" && job.exitCode == 3 && !job.oomKilled)
        // Both streams are read; the engine copies stdout and stderr apart, so only one stream's order is its own.
        let last = try engine.logTail(job.id, lines: 50, timeout: 5)
        #expect(Set(last) == ["to stdout", "warming up", "last words"], "\(last)")
        #expect(last.filter { $0 != "to stdout" } == ["warming up", "last words"], "\(last)")

        let hog = try state("hog") { $0.status == "exited" }
        #expect(hog.oomKilled && hog.exitCode == 137, "\(hog)")

        let flappy = try state("flappy") { $0.restartCount == 2 && $0.status == "exited" }
        #expect(flappy.restartCount == 2 && flappy.exitCode == 1, "\(flappy)")
        // Its log since its last start is that run's alone, though the three runs came within a second or so.
        #expect(try engine.logTail(flappy.id, lines: 50, timeout: 5) == ["attempt", "attempt", "attempt"])
        #expect(try engine.logTail(flappy.id, lines: 50, since: flappy.logSince(now: Date()), timeout: 5) == ["attempt"])

        let sick = try state("sick") { $0.health == "unhealthy" }
        #expect(sick.health == "unhealthy" && sick.status == "running", "\(sick)")

        // The engine's list, read without waiting on a container, says the state, exit code and health too.
        let listed = Dictionary(uniqueKeysWithValues: try engine.list(project: project, timeout: 5).map { ($0.service, $0) })
        #expect(listed.values.allSatisfy { !$0.inspected } && listed["job"]?.id == job.id && listed["job"]?.name == job.name)
        #expect(listed["job"]?.status == "exited" && listed["job"]?.exitCode == 3, "\(String(describing: listed["job"]))")
        #expect(listed["sick"]?.health == "unhealthy" && listed["web"]?.status == "running" && listed["web"]?.health == "")
        #expect(listed["hog"]?.exitCode == 137 && listed["flappy"]?.exitCode == 1)

        let all = try engine.containers(project: project, timeout: 5)
        #expect(all.map(\.service) == ["flappy", "hog", "job", "sick", "web"])
        #expect(try engine.containers(project: project + "-other", timeout: 5).isEmpty, "another project's are not these")
    }
}

/// A container's log without a terminal comes in frames (stream, length, bytes).
@Suite struct DockerLogFramesTests {
    @Test func aLogIsReadOutOfItsFrames() {
        let framed: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 3] + Array("ab\n".utf8) + [2, 0, 0, 0, 0, 0, 0, 4] + Array("err\n".utf8)
        #expect(DockerEngine.demultiplexed(framed) == "ab\nerr\n")
        #expect(DockerEngine.demultiplexed(Array("tty text\n".utf8)) == "tty text\n")
    }
}
