import Foundation
import Testing

@testable import Clients

/// Docker's Engine API read through its socket, against the real dockerd the test command starts (Debian's
/// docker.io): containers made here from an image imported offline (an empty root, the machine's /usr mounted
/// read-only), labelled as a Compose project's services.
/// The test command's dockerd, on a socket of its own (RBSH_TEST_DOCKER_HOST), so the runbooks other tests run
/// alongside never see these containers.
enum TestDocker {
    static let host = ProcessInfo.processInfo.environment["RBSH_TEST_DOCKER_HOST"] ?? ""
    static let engine: DockerEngine? = {
        guard !host.isEmpty, case .success(let e) = DockerEngine.locate(environment: ["DOCKER_HOST": host]),
            let ping = try? e.get("/_ping", timeout: 2), ping.status == 200
        else { return nil }
        return e
    }()
}

@Suite(.enabled(if: TestDocker.engine != nil, "needs the test command's dockerd (RBSH_TEST_DOCKER_HOST)"), .serialized)
struct DockerEngineTests {
    static var engine: DockerEngine? { TestDocker.engine }
    static var host: String { TestDocker.host }
    static let image = "rbsh-test/root:1"
    let shell = ShellRunner(captureLimit: 64 << 10, grace: 0.5)
    let project = "rbsh-test-\(UUID().uuidString.prefix(8).lowercased())"

    /// The docker CLI, with the same DOCKER_HOST.
    func docker(_ arguments: String, timeout: Double = 60) -> ShellOutcome {
        shell.run("docker " + arguments, environment: ["DOCKER_HOST": Self.host], timeout: timeout)
    }

    func run(_ service: String, _ options: String, _ command: String) throws {
        let out = docker(
            "run -d --name \(project)-\(service) --label com.docker.compose.project=\(project) "
                + "--label com.docker.compose.service=\(service) --network none -v /usr:/usr:ro \(options) \(Self.image) \(command)")
        try #require(out.ending == .exited(0), "docker run \(service): \(out.output.text)")
    }

    /// Waits (up to 30 s) until the service's container is as `done` says.
    func state(_ service: String, until done: (ContainerState) -> Bool) throws -> ContainerState {
        let engine = try #require(Self.engine)
        let deadline = Date().addingTimeInterval(30)
        while true {
            let all = try engine.containers(project: project, timeout: 5)
            let s = try #require(all.first { $0.service == service }, "\(service) among \(all.map(\.name))")
            if done(s) || Date() > deadline { return s }
            usleep(200_000)
        }
    }

    @Test func containersAreReadAsStateNotText() throws {
        let engine = try #require(Self.engine)
        let root = NSTemporaryDirectory() + "rbsh-root-\(UUID().uuidString.prefix(8))"
        defer {
            _ = docker("rm -f $(docker ps -aq --filter label=com.docker.compose.project=\(project))")
            try? FileManager.default.removeItem(atPath: root)
        }
        let made = shell.run(
            """
            set -e; mkdir -p '\(root)/etc' '\(root)/tmp' '\(root)/var/run'; cp /etc/passwd /etc/group '\(root)/etc/'
            for d in bin lib lib64 sbin; do ln -s usr/$d '\(root)/'$d; done
            tar -C '\(root)' -c . | docker import - \(Self.image) >/dev/null
            """, environment: ["DOCKER_HOST": Self.host], timeout: 60)
        try #require(made.ending == .exited(0), "the image: \(made.output.text)")

        try run("web", "--memory 64m", "/usr/bin/sleep 300")
        try run("job", "", "/bin/sh -c 'echo to stdout; echo warming up >&2; echo last words >&2; exit 3'")
        try run("hog", "--memory 32m --memory-swap 32m", "/usr/bin/python3 -c 'bytearray(256 << 20)'")
        try run("flappy", "--restart on-failure:2", "/bin/sh -c 'exit 1'")
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

        let sick = try state("sick") { $0.health == "unhealthy" }
        #expect(sick.health == "unhealthy" && sick.status == "running", "\(sick)")

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
