import Clients
import Foundation

/// The test command's dockerd, on a socket of its own (RBSH_TEST_DOCKER_HOST), so the runbooks other tests run
/// alongside never see its containers; and the one image the container tests run: an empty root imported
/// offline, the machine's /usr mounted read-only into each container (no image registry is reachable).
public enum TestDocker {
    public static let host = ProcessInfo.processInfo.environment["RBSH_TEST_DOCKER_HOST"] ?? ""
    public static let engine: DockerEngine? = {
        guard !host.isEmpty, case .success(let e) = DockerEngine.locate(environment: ["DOCKER_HOST": host]),
            let ping = try? e.get("/_ping", timeout: 2), ping.status == 200
        else { return nil }
        return e
    }()
    public static let image = "rbsh-test/root:1"
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    static let shell = ShellRunner(captureLimit: 64 << 10, grace: 0.5)

    /// The docker CLI, with the test dockerd's DOCKER_HOST.
    public static func docker(_ arguments: String, timeout: Double = 60) -> ShellOutcome {
        shell.run("docker " + arguments, environment: ["DOCKER_HOST": host], timeout: timeout)
    }

    private static let made: Result<Void, Failure> = {
        let root = NSTemporaryDirectory() + "rbsh-root-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = shell.run(
            """
            set -e; mkdir -p '\(root)/etc' '\(root)/tmp' '\(root)/var/run'; cp /etc/passwd /etc/group '\(root)/etc/'
            for d in bin lib lib64 sbin; do ln -s usr/$d '\(root)/'$d; done
            tar -C '\(root)' -c . | docker import - \(image) >/dev/null
            """, environment: ["DOCKER_HOST": host], timeout: 60)
        return out.ending == .exited(0) ? .success(()) : .failure(Failure(description: "the image: \(out.output.text)"))
    }()

    /// Imports the image once per test process.
    public static func makeImage() throws { try made.get() }

    /// Starts a container labelled as `service` of Compose project `project`, named `project-service`, with no
    /// network.
    public static func run(project: String, service: String, options: String = "", _ command: String) throws {
        try makeImage()
        let out = docker(
            "run -d --name \(project)-\(service) --label com.docker.compose.project=\(project) "
                + "--label com.docker.compose.service=\(service) --network none -v /usr:/usr:ro \(options) \(image) \(command)")
        guard out.ending == .exited(0) else { throw Failure(description: "docker run \(service): \(out.output.text)") }
    }

    /// Removes every container of the project.
    public static func removeProject(_ project: String) {
        _ = docker("rm -f $(docker ps -aq --filter label=com.docker.compose.project=\(project))")
    }

    /// Waits (up to 30 s) until the service's container is as `done` says, and returns it as it is then.
    public static func state(project: String, service: String, until done: (ContainerState) -> Bool) throws -> ContainerState {
        guard let engine else { throw Failure(description: "no test dockerd") }
        let deadline = Date().addingTimeInterval(30)
        while true {
            let all = try engine.containers(project: project, timeout: 5)
            guard let s = all.first(where: { $0.service == service }) else {
                throw Failure(description: "no \(service) among \(all.map(\.name))")
            }
            if done(s) || Date() > deadline { return s }
            usleep(200_000)
        }
    }
}
