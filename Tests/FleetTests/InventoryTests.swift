import Foundation
import Testing
import TestSupport

@testable import Fleet

/// Inventories and patterns without Ansible: ranges, quoting, precedence, errors.
@Suite struct InventoryTests {
    @Test func rangesExpandWithTheirPaddingLettersAndStride() throws {
        let fail = { (m: String) in InventoryError(m) }
        #expect(try Inventory.expandRange("web[01:03].x", fail: fail) == ["web01.x", "web02.x", "web03.x"])
        #expect(try Inventory.expandRange("db-[a:c]", fail: fail) == ["db-a", "db-b", "db-c"])
        #expect(try Inventory.expandRange("n[1:10:4]", fail: fail) == ["n1", "n5", "n9"])
        #expect(throws: InventoryError("a range's stride is a whole number above 0")) { try Inventory.expandRange("n[1:3:0]", fail: fail) }
    }

    @Test func hostVarsBeatChildGroupsWhichBeatParentsWhichBeatAll() throws {
        let inv = try Inventory.ini(
            """
            [leaf]
            h1 ansible_user=own
            h2
            [mid:children]
            leaf
            [leaf:vars]
            ansible_user=leaf
            ansible_port=2
            [mid:vars]
            ansible_port=1
            ansible_host=mid.example
            [all:vars]
            ansible_host=all.example
            """, file: "t.ini")
        #expect(inv.variables(of: "h1") == ["ansible_user": "own", "ansible_port": "2", "ansible_host": "mid.example"])
        #expect(inv.variables(of: "h2")["ansible_user"] == "leaf")
    }

    @Test func aBrokenLineSaysWhereInOneLine() {
        #expect(throws: InventoryError("t.ini:2: an unclosed quote")) { try Inventory.ini("[g]\nh1 ansible_user='x\n", file: "t.ini") }
        #expect(throws: InventoryError("t.ini:1: unknown section kind `hosts` (vars or children)")) {
            try Inventory.ini("[g:hosts]\n", file: "t.ini")
        }
        #expect(throws: InventoryError("no inventory /nonexistent (a file, an executable, or a comma list such as web1,web2,)")) {
            try Inventory.load("/nonexistent")
        }
    }

    @Test func patternsUnionThenIntersectThenExclude() throws {
        let inv = try Inventory.ini("[a]\nh1\nh2\nh3\n[b]\nh2\nh3\nh4\n", file: "t.ini")
        #expect(try HostPattern("a:b").select(from: inv) == ["h1", "h2", "h3", "h4"])
        #expect(try HostPattern("!h1:a:&b").select(from: inv) == ["h2", "h3"])
        #expect(try HostPattern("h?:!~h[12]").select(from: inv) == ["h3", "h4"])
        #expect(try HostPattern("a[1:2]").select(from: inv) == ["h2", "h3"])
        #expect(try HostPattern("nothing").select(from: inv).isEmpty)
    }

    @Test func anInventoryProgramThatFailsSaysSoWithItsLastWord() throws {
        let path = NSTemporaryDirectory() + "rbsh-inv-\(UUID().uuidString.prefix(8)).sh"
        try ExecutableFile.write("#!/bin/sh\necho 'warming up' >&2\necho 'cannot reach the CMDB' >&2\nexit 2\n", to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: InventoryError("\(path) --list exited 2: cannot reach the CMDB")) { try Inventory.load(path) }
    }
}
