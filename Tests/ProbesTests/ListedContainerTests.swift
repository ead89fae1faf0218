import Foundation
import RunbookKit
import Testing

@testable import Clients
@testable import Probes

/// A container the engine kept waiting for its inspection (it holds one while it starts it, as in a restart
/// loop) stands as the engine's list has it: what the list tells is a value, what it does not is no value.
@Suite struct ListedContainerTests {
    static var item: [String: Any] {
        [
            "Id": "4f2c", "Names": ["/network-probe_management_1"], "State": "restarting",
            "Status": "Restarting (1) Less than a second ago",
            "Labels": ["com.docker.compose.project": "network-probe", "com.docker.compose.service": "management"],
        ]
    }

    @Test func theListSaysStateExitCodeAndHealth() {
        let s = ContainerState(listed: Self.item)
        #expect(!s.inspected && s.name == "network-probe_management_1" && s.service == "management" && s.project == "network-probe")
        #expect(s.status == "restarting" && s.exitCode == 1 && s.health == "")
        var up = Self.item
        up["State"] = "running"
        up["Status"] = "Up 3 minutes (unhealthy)"
        #expect(ContainerState(listed: up).health == "unhealthy" && ContainerState(listed: up).exitCode == 0)
        up["Status"] = "Up 2 seconds (health: starting)"
        #expect(ContainerState(listed: up).health == "starting")
    }

    @Test func whatOnlyAnInspectionTellsIsNoValue() {
        let log = ["rbsh: database connection failed at start: could not connect"]
        let survey = ContainerSurvey(
            containers: [.init(state: ContainerState(listed: Self.item), memoryUsed: nil, log: log)],
            unread: ["the state of network-probe_management_1 beyond the engine's list"])
        let r = ProbeRunner.containersResult(survey, services: ["management"], now: Date())
        #expect(r.status == .ok)
        #expect(r.values["management.state"] == .string("restarting") && r.values["management.exit_code"] == .number(1))
        #expect(r.values["management.looping"] == .bool(true), "restarting is a loop, whatever the count")
        for unknown in ["restarts", "oom_killed", "started_at", "error", "mem_limit_mb"] {
            #expect(r.values["management.\(unknown)"] == nil, "\(unknown)")
        }
        #expect(r.values["management.log"] == .string(log[0]))
        #expect(r.output.text.contains("not read in time: the state of network-probe_management_1"))

        var running = Self.item
        running["State"] = "running"
        running["Status"] = "Up 1 second"
        let up = ProbeRunner.containersResult(
            ContainerSurvey(containers: [.init(state: ContainerState(listed: running))], unread: []), services: ["management"], now: Date())
        #expect(up.values["management.looping"] == nil, "running, with its restarts unknown, is not said to loop or not")
    }

    /// A run's log begins where the one before it ended (while it runs again), else 0.1 s before its recorded start.
    @Test func aRunsLogBeginsAfterThePreviousRunEnded() {
        func state(_ status: String, started: String, finished: String, restarts: Int = 1) -> ContainerState {
            ContainerState(inspected: [
                "Id": "4f2c", "RestartCount": restarts, "State": ["Status": status, "StartedAt": started, "FinishedAt": finished],
            ])
        }
        let now = Date(timeIntervalSince1970: 1_796_440_110)
        let never = "0001-01-01T00:00:00Z"
        #expect(state("exited", started: "2026-12-05T03:08:26.032545249Z", finished: never).logSince(now: now) == "1796440105.932545249")
        #expect(state("running", started: "2026-12-05T03:08:26Z", finished: never).logSince(now: now) == "1796440105.900000000")
        #expect(
            state("running", started: "2026-12-05T03:08:26.5Z", finished: "2026-12-05T03:08:25.25Z").logSince(now: now)
                == "1796440105.250000000")
        // Exited again: FinishedAt is this run's end, so its start bounds it.
        #expect(
            state("exited", started: "2026-12-05T03:08:26.5Z", finished: "2026-12-05T03:08:27.25Z").logSince(now: now)
                == "1796440106.400000000")
        #expect(state("created", started: never, finished: never).logSince(now: now) == nil)
        // Caught running in a restart loop (three restarts, up 4 s): the loop's last lines, unbounded.
        let caught = state("running", started: "2026-12-05T03:08:26.5Z", finished: "2026-12-05T03:08:25.25Z", restarts: 3)
        #expect(caught.looping(now: now) == true && caught.logSince(now: now) == nil)
        #expect(caught.looping(now: now.addingTimeInterval(60)) == false, "up a minute, it came out of the loop")
    }
}
