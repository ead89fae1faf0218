import Foundation
import Lab
import Testing
import TestSupport

/// The guide's container cases, read from the real dockerd the test command starts and mended there: the
/// runbook finds the container's state as the engine has it and its fix acts on that very container.
@Suite(
    .enabled(if: LabFixture.isUp || LabFixture.isRequired), .enabled(if: TestDocker.engine != nil, "needs the test command's dockerd"),
    .serialized)
struct ContainerFixTests {
    let project = "rbsh-fix-\(UUID().uuidString.prefix(8).lowercased())"

    /// `rbsh run RUNBOOK --format json` reading the test dockerd, with the project named in a config; the lab's
    /// API given by flag, so the lab's own restart command is not the management service's here.
    func run(_ runbook: String, _ more: [String] = []) throws -> (report: [String: Any], process: RbshProcess) {
        let lab = try LabFixture.require()
        let dir = NSTemporaryDirectory() + "rbsh-containers-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "targets:\n  docker.project: \(project)\n".write(toFile: dir + "/rbsh.yaml", atomically: true, encoding: .utf8)
        let p = try RbshProcess.run(
            ["run", runbook, "--config", dir + "/rbsh.yaml", "--api", lab.apiURL, "--format", "json", "--transcript", dir + "/t.jsonl"]
                + more, environment: ["DOCKER_HOST": TestDocker.host])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [String: Any], "\(p.stderr)")
        return (report, p)
    }

    static func states(_ report: [String: Any]) -> [String: String] {
        let found = report["findings"] as? [[String: Any]] ?? []
        return Dictionary(found.compactMap { f in (f["id"] as? String).map { ($0, f["state"] as? String ?? "") } }) { a, _ in a }
    }

    @Test func aManagementContainerKilledAtItsLimitIsFoundAndRestartedAndTheRestartVerified() async throws {
        try await LabAccess.sharing {
            defer { TestDocker.removeProject(project) }
            // Killed at its limit the first time it runs; after a restart it runs (its mark is in its own layer).
            try TestDocker.run(
                project: project, service: "management", options: "--memory 32m --memory-swap 32m",
                "/bin/sh -c '[ -e /tmp/ran ] && exec /usr/bin/sleep 300; touch /tmp/ran; exec /usr/bin/python3 -c \"bytearray(256 << 20)\"'"
            )
            let killed = try TestDocker.state(project: project, service: "management") { $0.oomKilled }
            try #require(killed.oomKilled && killed.status == "exited")

            let diagnosed = try run("management-platform-down")
            #expect(diagnosed.process.status == 2, "\(diagnosed.process.stdout)")
            let findings = diagnosed.report["findings"] as? [[String: Any]] ?? []
            #expect(findings.first?["id"] as? String == "container-oom-killed", "the cause first: \(findings.map { $0["id"] ?? "" })")
            #expect((findings.first?["message"] as? String)?.contains("\(project)-management") == true)
            let offered = (diagnosed.report["remediations"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(offered.contains("restart-management"), "\(offered)")

            let fixed = try run("management-platform-down", ["--allow", "changes"])
            let restart = (fixed.report["remediations"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "restart-management" }
            #expect(restart?["applied"] as? Bool == true && restart?["verified"] as? Bool == true, "\(fixed.process.stdout)")
            #expect(Self.states(fixed.report)["container-oom-killed"] == "resolved", "\(fixed.process.stdout)")
            #expect(fixed.report["status"] as? String == "ok" && fixed.process.status == 0, "\(fixed.process.stdout)")
            let now = try TestDocker.state(project: project, service: "management") { $0.status == "running" }
            #expect(now.status == "running" && now.restartCount == 0, "docker restart, not a fault's clear: \(now)")
        }
    }

    @Test func aManagementContainerThatCannotReachItsDatabaseIsNamedForIt() async throws {
        try await LabAccess.sharing {
            defer { TestDocker.removeProject(project) }
            let line = "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) could not translate host name \\\"postgress\\\""
            try TestDocker.run(
                project: project, service: "management", options: "--restart on-failure:3",
                "/bin/sh -c 'echo starting the management API; echo \"\(line)\" >&2; exit 1'")
            _ = try TestDocker.state(project: project, service: "management") { $0.status == "exited" && $0.restartCount == 3 }
            let diagnosed = try run("management-platform-down")
            let ids = (diagnosed.report["findings"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids.first == "container-database-unreachable", "\(ids)")
            #expect(ids.contains("container-exited"))
            let offered = (diagnosed.report["remediations"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(offered.contains("check-database-url") && !offered.contains("restart-management"), "\(offered)")
        }
    }
}
