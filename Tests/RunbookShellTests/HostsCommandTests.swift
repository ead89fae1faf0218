import Foundation
import Testing
import TestSupport

/// `rbsh hosts`: what an inventory and a pattern select, named as the inventory names them.
@Suite struct HostsCommandTests {
    @Test func aCommaListAndAPatternSelectHostsByName() throws {
        let p = try RbshProcess.run(["hosts", "agent-1,agent-2,db-1,", "--limit", "agent-*:!agent-2", "--format", "json"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == #"[{"groups":["ungrouped"],"host":"agent-1","vars":{}}]"#)
    }

    @Test func nothingSelectedExitsOneAndABadInventoryIsBadUsage() throws {
        let none = try RbshProcess.run(["hosts", "a,b,", "--limit", "c"])
        #expect(none.status == 1)
        #expect(none.stdout.contains("hosts (0):"))
        let bad = try RbshProcess.run(["hosts", "/nonexistent/inventory"])
        #expect(bad.status == 64)
        #expect(bad.stderr == "rbsh: no inventory /nonexistent/inventory (a file, an executable, or a comma list such as web1,web2,)\n")
    }
}
