import Foundation
import Clients
import RunbookKit
import Testing
import TestSupport

@testable import Probes

/// `containers` steps read a Compose project's containers as state from the real dockerd the test command
/// starts: the worst container of each service, its log and memory, and no engine as an answer, not a failure.
@Suite(.enabled(if: TestDocker.engine != nil, "needs the test command's dockerd (RBSH_TEST_DOCKER_HOST)"), .serialized)
struct ContainersStepTests {
    let project = "rbsh-step-\(UUID().uuidString.prefix(8).lowercased())"

    func step(_ a: ContainersAction, timeout: Double = 10) -> StepResult {
        ProbeRunner.containersResult(a, environment: ["DOCKER_HOST": TestDocker.host], timeout: timeout)
    }

    @Test func eachServiceIsReadAsItsContainersState() throws {
        defer { TestDocker.removeProject(project) }
        let failure = "sqlalchemy.exc.OperationalError: could not connect to server: Connection refused"
        try TestDocker.run(project: project, service: "management", "/bin/sh -c 'echo starting; echo \"\(failure)\" >&2; exit 1'")
        try TestDocker.run(project: project, service: "postgres", options: "--memory 64m", "/usr/bin/sleep 300")
        try TestDocker.run(
            project: project, service: "redis", options: "--memory 32m --memory-swap 32m", "/usr/bin/python3 -c 'bytearray(256 << 20)'")
        _ = try TestDocker.state(project: project, service: "management") { $0.status == "exited" }
        _ = try TestDocker.state(project: project, service: "redis") { $0.status == "exited" }
        _ = try TestDocker.state(project: project, service: "postgres") { $0.status == "running" }

        let r = step(ContainersAction(services: ["management", "postgres", "redis", "nginx"], project: project, logLines: 20, stats: true))
        #expect(r.status == .ok, "\(r.error ?? "")")
        #expect(r.values["engine"] == .bool(true) && r.values["count"] == .number(3))
        #expect(r.values["running"] == .number(1) && r.values["not_running"] == .number(2) && r.values["oom_killed"] == .number(1))
        #expect(r.values["management.state"] == .string("exited") && r.values["management.exit_code"] == .number(1))
        #expect(r.values["management.running"] == .bool(false) && r.values["management.container"] == .string("\(project)-management"))
        #expect(r.values["management.log"]?.text.contains(failure) == true, "\(r.values["management.log"] ?? .null)")
        #expect(r.values["redis.oom_killed"] == .bool(true) && r.values["redis.exit_code"] == .number(137))
        #expect(r.values["postgres.running"] == .bool(true) && r.values["postgres.mem_limit_mb"] == .number(64))
        let pct = try #require(r.values["postgres.mem_pct"]?.number, "memory read within the step")
        #expect(pct > 0 && pct < 100)
        #expect((r.values["postgres.up_s"]?.number ?? -1) >= 0)
        #expect(r.values["nginx.found"] == .bool(false) && r.values["nginx.state"] == nil)
        // The log of the one that stopped is shown; the running one's is kept for the findings only.
        #expect(r.output.text.contains(failure) && r.output.text.contains("\(project)-redis"))
        #expect(r.table?.rows.count == 3)

        // Another project's containers are not these.
        let other = step(ContainersAction(services: ["management"], project: project + "-other"))
        #expect(other.values["engine"] == .bool(true) && other.values["management.found"] == .bool(false))
    }
}

/// The size of each container's log file, where the engine's files can be read here (the test command runs as
/// root on the engine's machine): the guide caps each at 100 MB.
@Suite(.enabled(if: TestDocker.engine != nil && getuid() == 0, "needs the test command's dockerd, and root to read its files"))
struct ContainerLogSizeTests {
    let project = "rbsh-logs-\(UUID().uuidString.prefix(8).lowercased())"

    @Test func theLargestLogIsNamedWithItsSize() throws {
        defer { TestDocker.removeProject(project) }
        // About 200,000 lines of json-file log (each line a JSON object of about 70 bytes): some 14 MB.
        try TestDocker.run(project: project, service: "management", "/bin/sh -c 'yes | head -n 200000; sleep 300'")
        try TestDocker.run(project: project, service: "redis", "/usr/bin/sleep 300")
        _ = try TestDocker.state(project: project, service: "redis") { $0.status == "running" }
        var r = StepResult(status: .ok)
        for _ in 0..<50 {
            r = ProbeRunner.containersResult(
                ContainersAction(services: ["management", "redis"], project: project), environment: ["DOCKER_HOST": TestDocker.host],
                timeout: 10)
            if (r.values["management.log_mb"]?.number ?? 0) > 5 { break }
            usleep(100_000)
        }
        #expect(r.values["largest_log"] == .string("\(project)-management"), "\(r.values)")
        let mb = try #require(r.values["largest_log_mb"]?.number)
        #expect(mb > 5 && mb < 100, "\(mb) MB")
        #expect(r.values["redis.log_mb"] == .number(0))
    }
}

/// Where no engine answers, a `containers` step says why and finds nothing.
@Suite struct NoDockerEngineTests {
    @Test func noEngineIsAnAnswerThatSaysWhy() {
        let missing = ProbeRunner.containersResult(
            ContainersAction(services: ["management"]), environment: ["DOCKER_HOST": "unix:///nonexistent/docker.sock"], timeout: 2)
        #expect(missing.status == .ok && missing.values["engine"] == .bool(false))
        #expect(missing.values["engine_error"]?.text.contains("/nonexistent/docker.sock") == true)
        #expect(missing.values["management.found"] == .bool(false))
        let tcp = ProbeRunner.containersResult(
            ContainersAction(services: ["management"]), environment: ["DOCKER_HOST": "tcp://127.0.0.1:2375"], timeout: 2)
        #expect(tcp.values["engine"] == .bool(false) && tcp.values["engine_error"]?.text.contains("unix://") == true)
    }
}

/// docker-proxy on a port is Docker publishing a container's port: the listening step names where it forwards,
/// so no runbook takes it for a squatter. (A program named docker-proxy, as Docker starts it, with its flags.)
@Suite struct PublishedPortTests {
    @Test func aPortHeldByDockerProxyIsSaidToBePublishedForAContainer() throws {
        let dir = NSTemporaryDirectory() + "rbsh-proxy-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let python = try FileManager.default.destinationOfSymbolicLink(atPath: "/usr/bin/python3")
        try ExecutableFile.copy("/usr/bin/" + python, to: dir + "/docker-proxy")
        let port = LabFixture.closedPort()
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: dir + "/docker-proxy")
        proxy.arguments = [
            "-c", "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', \(port))); s.listen(); time.sleep(60)",
            "-proto", "tcp", "-host-ip", "127.0.0.1", "-host-port", String(port), "-container-ip", "172.31.0.9", "-container-port", "8000",
        ]
        try proxy.run()
        defer { proxy.terminate() }
        var r = StepResult(status: .failed)
        for _ in 0..<50 {
            r = ProbeRunner.listeningResult(ListeningSockets.listeners(port: port), port: port)
            if r.values["listening"] == .bool(true) { break }
            usleep(100_000)
        }
        ProbeRunner.namePublisher(&r, environment: ["DOCKER_HOST": "unix:///nonexistent/docker.sock"])
        #expect(r.values["program"] == .string("docker-proxy"), "\(r.values)")
        #expect(r.values["published_to"] == .string("172.31.0.9:8000"))
        #expect(r.values["published_by"] == nil, "no engine to name the container")
        #expect(r.output.text.contains("Docker publishes this port for a container at 172.31.0.9"), "\(r.output.text)")
    }
}
