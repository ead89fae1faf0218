import Foundation
import Lab
import Testing
import TestSupport

/// A sweep on a platform in trouble waits on nothing: with task_results held
/// exclusively by a stuck migration, every step ends within the sweep's cap,
/// no diagnostic queues behind the lock, and the lock and its holder are named.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired))
struct SweepBoundsTests {
    @Test func aSweepBehindATableHeldExclusivelyWaitsOnNothingAndNamesTheHolder() async throws {
        try await LabAccess.alone {
            let lab = try LabFixture.require()
            try LabFaults(state: lab).settle()
            let inject = try RbshProcess.run(["lab", "inject", "table-locked"])
            #expect(inject.status == 0, "\(inject.stderr)")
            defer { _ = try? RbshProcess.run(["lab", "clear", "table-locked"]) }
            let p = try RbshProcess.run(["run", "triage", "--format", "json", "--transcript", "/dev/null"], timeout: 60)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [String: Any], "\(p.stderr)")
            let steps = try #require(report["steps"] as? [[String: Any]])
            for step in steps where step["id"] as? String != "sweep" {
                let ms = step["duration_ms"] as? Int ?? 0
                #expect(ms < 2_500, "\(step["id"] ?? "?") took \(ms) ms: it waited behind the lock")
            }
            let diagnosis = try #require(report["diagnosis"] as? [String: Any])
            let causes = (diagnosis["causes"] as? [[String: Any]] ?? []).compactMap { $0["finding"] as? String }
            // The machine's own state (a loaded test machine) may be a cause of its own; nothing else may.
            #expect(causes.first == "slow-response/table-locked", "\(causes)")
            let host = ["cpu-saturated", "load-high", "memory-high", "memory-critical", "swapping"]
            #expect(causes.dropFirst().allSatisfy { host.contains(String($0.split(separator: "/").last ?? "")) }, "\(causes)")
            let findings = report["findings"] as? [[String: Any]] ?? []
            let locked = findings.first { $0["id"] as? String == "slow-response/table-locked" }
            let message = locked?["message"] as? String ?? ""
            #expect(message.contains("task_results") && message.contains("lab-migration"), "the lock and its holder: \(message)")
            #expect(try LabFixture.activeQueries(lab, marker: "/* rbsh */") == 0, "no diagnostic of rbsh's left waiting")
        }
    }
}
