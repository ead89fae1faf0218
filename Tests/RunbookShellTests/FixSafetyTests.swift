import Clients
import Foundation
import Lab
import Testing
import TestSupport

/// For every lab fault, `rbsh run triage --allow changes` applies only fixes
/// whose guard held, and each is verified; the process answering the API's
/// health endpoint is never signalled unless it is the fault; on a healthy
/// lab nothing changes at all. The real binary, against the real lab.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired), .serialized)
struct FixSafetyTests {
    /// The faults whose own fix is to restart or replace the API's process.
    static let apiProcessFaults: Set<String> = ["api-down", "api-hung", "api-5xx", "port-held", "ws-broken", "tls-expiring"]

    /// A process as it is known for sure: its pid and its start time.
    struct Identity: Equatable, CustomStringConvertible {
        var pid: Int
        var started: UInt64
        var description: String { "pid \(pid) started at \(started)" }
    }

    static func identity(pidFile: String) -> Identity? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let entry = ProcessTable.parse(stat: stat, pid: pid)
        else { return nil }
        return Identity(pid: pid, started: entry.startTicks)
    }

    /// Who listens on the API's port, as a fix would see it.
    static func apiListener(_ lab: LabState) -> Identity? {
        guard let l = ListeningSockets.listeners(port: lab.apiPort).first, let pid = l.pid, let started = l.started else { return nil }
        return Identity(pid: pid, started: started)
    }

    /// The sessions of the lab's PostgreSQL and the settings anyone changed, as text to compare.
    static func databaseState(_ lab: LabState) throws -> [String] {
        let c = try PostgresConnection.connect(lab.postgresURL, applicationName: "rbsh-test-observer")
        let sessions = try c.query(
            """
            SELECT pid || ' ' || coalesce(application_name, '') || ' ' || coalesce(backend_start::text, '')
            FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND application_name NOT IN ('rbsh', 'rbsh-test-observer', 'network_probe_management', 'network_probe_health')
            ORDER BY 1
            """)
        let settings = try c.query(
            "SELECT name || '=' || setting FROM pg_settings WHERE source NOT IN ('default', 'override', 'session', 'client') ORDER BY 1")
        return (sessions.rows + settings.rows).map { $0.first.flatMap { $0 } ?? "" }
    }

    static func triage(_ lab: LabState) throws -> (report: [String: Any], events: [[String: Any]]) {
        let path = NSTemporaryDirectory() + "rbsh-safety-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = try RbshProcess.run(["run", "triage", "--allow", "changes", "--format", "json", "--transcript", path], timeout: 120)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [String: Any], "\(p.stdout)\n\(p.stderr)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let events = try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        return (report, events)
    }

    /// Every fix that ran had its guard run right before it, held, and was verified.
    static func expectGuardedAndVerified(_ events: [[String: Any]], fault: String) {
        let applied = events.filter { $0["type"] as? String == "remediation_applied" }.compactMap { $0["remediation"] as? String }
        for id in applied {
            let at = events.firstIndex { $0["type"] as? String == "remediation_applied" && $0["remediation"] as? String == id } ?? 0
            let guarded = events[..<at].contains { $0["type"] as? String == "step_end" && $0["purpose"] as? String == "guard:\(id)" }
            let refused = events.contains { $0["type"] as? String == "remediation_refused" && $0["remediation"] as? String == id }
            let verified = events.contains {
                $0["type"] as? String == "remediation_verified" && $0["remediation"] as? String == id && $0["verified"] as? Bool == true
            }
            let step = events.last { $0["type"] as? String == "step_end" && $0["purpose"] as? String == "remediate:\(id)" }
            guard step?["status"] as? String != "skipped" else { continue }  // a manual one: nobody to do it
            let risk =
                events.first { $0["type"] as? String == "remediation_offered" && $0["remediation"] as? String == id }?["risk"] as? String
            // What changes something re-checks first; a safe fix (VACUUM ANALYZE) need not.
            if risk != "safe" { #expect(guarded && !refused, "\(fault): \(id) ran without its guard holding") }
            #expect(verified, "\(fault): \(id) ran and was not verified")
        }
    }

    @Test func aHealthyLabHasNothingChanged() async throws {
        try await LabAccess.alone {
            let lab = try LabFixture.require()
            try LabFaults(state: lab).settle()
            let api = Self.identity(pidFile: lab.directory + "/api.pid")
            let redis = Self.identity(pidFile: lab.directory + "/redis.pid")
            let before = try Self.databaseState(lab)
            let (report, events) = try Self.triage(lab)
            #expect(report["status"] as? String != "critical", "\(report)")
            // A busy machine may earn an instruction for a person (the CPU, say): nothing that acts may run.
            let ran = events.filter { $0["type"] as? String == "remediation_applied" && $0["status"] as? String != "skipped" }
            #expect(ran.isEmpty, "nothing ran on a healthy lab: \(ran)")
            #expect(Self.identity(pidFile: lab.directory + "/api.pid") == api)
            #expect(Self.identity(pidFile: lab.directory + "/redis.pid") == redis)
            #expect(try Self.databaseState(lab) == before, "no session ended, no setting changed")
        }
    }

    @Test(arguments: LabFaults.all.map(\.name))
    func everyFixThatRunsWasGuardedAndVerifiedAndTheAPIIsTouchedOnlyWhenItIsTheFault(fault: String) async throws {
        try await LabAccess.alone {
            let lab = try LabFixture.require()
            let faults = LabFaults(state: lab)
            guard faults.inapplicable(fault) == nil else { return }
            try faults.settle()
            let inject = try RbshProcess.run(["lab", "inject", fault], timeout: 120)
            #expect(inject.status == 0, "\(fault): \(inject.stderr)")
            defer { _ = try? RbshProcess.run(["lab", "clear", fault], timeout: 120) }
            let listener = Self.apiListener(lab)
            let (_, events) = try Self.triage(lab)
            Self.expectGuardedAndVerified(events, fault: fault)
            if !Self.apiProcessFaults.contains(fault), let listener {
                #expect(Self.apiListener(lab) == listener, "\(fault): the API's process was replaced, and it is not the fault")
                #expect(kill(pid_t(listener.pid), 0) == 0, "\(fault): the API's process is gone")
            }
        }
    }
}
