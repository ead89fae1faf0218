import Foundation
import RunbookKit
import Testing
import TestSupport

/// Seals signed with real SSH keys (`ssh-keygen -Y sign`), checked against a
/// real allowed_signers file by `rbsh transcript verify`; a kill -9 transcript
/// verifies up to its last line, and its resumption chains to that prefix.
@Suite struct TranscriptSealTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "rbsh-seal-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try ResumeTests.runbook.write(toFile: dir + "/three.yaml", atomically: true, encoding: .utf8)
        var signers = ""
        for name in ["alice", "bob"] {
            let made = try RbshProcess.runProgram(
                ["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", dir + "/\(name)"])
            #expect(made.status == 0, "\(made.stderr)")
            let pub = try String(contentsOfFile: dir + "/\(name).pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            signers += "\(name)@team namespaces=\"rbsh-transcript,rbsh-approval\" \(pub)\n"
        }
        try signers.write(toFile: dir + "/allowed_signers", atomically: true, encoding: .utf8)
    }

    /// A config signing with `key` as `principal`, checking against `allowed` (nil: no allowed_signers).
    func config(_ name: String, key: String, principal: String, allowed: String? = "allowed_signers") throws -> String {
        let path = dir + "/\(name).yaml"
        var text = "signing:\n  key: \(dir)/\(key)\n  principal: \(principal)\n"
        if let allowed { text += "  allowed_signers: \(dir)/\(allowed)\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func verify(_ transcript: String, config: String) throws -> RbshProcess {
        try RbshProcess.run(["transcript", "verify", dir + "/" + transcript, "--config", config])
    }

    @Test func aSignedSealVerifiesForItsSignerAndNoOneElse() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let alice = try config("alice", key: "alice", principal: "alice@team")
        let r = try RbshProcess.run(["run", dir + "/three.yaml", "--transcript", dir + "/t.jsonl", "--config", alice])
        #expect(r.status == 1, "\(r.stderr)")
        let good = try verify("t.jsonl", config: alice)
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("signed by alice@team, the signature verified against allowed_signers"), "\(good.stdout)")

        // Alice's key claiming to be Bob: signed, and refused.
        let claims = try config("claims", key: "alice", principal: "bob@team")
        _ = try RbshProcess.run(["run", dir + "/three.yaml", "--transcript", dir + "/claims.jsonl", "--config", claims])
        let refused = try verify("claims.jsonl", config: claims)
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("signature by bob@team does not verify"), "\(refused.stdout)")

        // Nothing to check against: sealed, the signature said and not checked.
        let unchecked = try verify("t.jsonl", config: try config("none", key: "alice", principal: "alice@team", allowed: nil))
        #expect(unchecked.status == 0)
        #expect(unchecked.stdout.contains("signed by alice@team, not checked"), "\(unchecked.stdout)")

        // One character of one step's output changed: found, at its line.
        var lines = try String(contentsOfFile: dir + "/t.jsonl", encoding: .utf8).components(separatedBy: "\n")
        let n = try #require(lines.firstIndex { $0.contains(#""output":"7"#) })
        lines[n] = lines[n].replacingOccurrences(of: #""output":"7"#, with: #""output":"8"#)
        try lines.joined(separator: "\n").write(toFile: dir + "/t.jsonl", atomically: true, encoding: .utf8)
        let broken = try verify("t.jsonl", config: alice)
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("broken at line \(n + 1): line \(n + 1) was changed"), "\(broken.stdout)")
        let shown = try RbshProcess.run(["transcript", "show", dir + "/t.jsonl"])
        #expect(shown.stderr.contains("broken at line \(n + 1)"), "show says it did not verify: \(shown.stderr)")

        // A key that cannot sign: the seal is hash-only, and says why.
        let lost = try config("lost", key: "gone", principal: "alice@team")
        _ = try RbshProcess.run(["run", dir + "/three.yaml", "--transcript", dir + "/lost.jsonl", "--config", lost])
        let hashOnly = try verify("lost.jsonl", config: lost)
        #expect(hashOnly.status == 0)
        #expect(hashOnly.stdout.contains("hash-only seal (signing failed: no readable SSH key"), "\(hashOnly.stdout)")
    }

    @Test func aKilledRunVerifiesUpToItsLastLineAndItsResumptionChainsToIt() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let alice = try config("alice", key: "alice", principal: "alice@team")
        try ResumeTests.killedDuringItsSecondStep(
            ["run", dir + "/three.yaml", "--transcript", dir + "/t1.jsonl", "--config", alice], in: dir)
        let cut = try verify("t1.jsonl", config: alice)
        #expect(cut.status == 2)
        #expect(cut.stdout.contains("not sealed: the chain holds for"), "\(cut.stdout)")
        let whole = try String(contentsOfFile: dir + "/t1.jsonl", encoding: .utf8).split(separator: "\n").count

        let resumed = try RbshProcess.run([
            "run", "--resume", dir + "/t1.jsonl", "--runbooks", dir, "--transcript", dir + "/t2.jsonl", "--config", alice,
        ])
        #expect(resumed.status == 1, "\(resumed.stderr)")
        let header = try Transcript.read(path: dir + "/t2.jsonl").header
        #expect(header.continuesLines == whole)
        #expect(header.continuesLast?.count == 64)
        let both = try verify("t2.jsonl", config: alice)
        #expect(both.status == 2, "the resumed one is sealed, the one it continues is not: \(both.stdout)")
        #expect(both.stdout.contains("t2.jsonl: verified") && both.stdout.contains("t1.jsonl: not sealed"), "\(both.stdout)")

        // The earlier part changed after the resumption chained to it: said.
        let text = try String(contentsOfFile: dir + "/t1.jsonl", encoding: .utf8)
        try text.replacingOccurrences(of: "first said seven", with: "first said eight").write(
            toFile: dir + "/t1.jsonl", atomically: true, encoding: .utf8)
        let changed = try verify("t2.jsonl", config: alice)
        #expect(changed.status == 1)
        #expect(changed.stdout.contains("are not those the transcript continuing it chained to"), "\(changed.stdout)")
    }
}
