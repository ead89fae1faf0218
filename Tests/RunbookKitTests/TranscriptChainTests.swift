import Foundation
import OutputCapture
import Testing
@testable import RunbookKit

/// The hash chain and the seal: every change, removal, move or addition is
/// found and located; what is untouched verifies; a transcript cut by kill -9
/// verifies up to its last whole line and says it was not sealed.
@Suite struct TranscriptChainTests {
    static func sealed() throws -> Data {
        let path = try TranscriptTests.write(TranscriptTests.story)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    static func lines(_ data: Data) -> [Data] {
        data.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map { Data($0) }
    }

    static func join(_ lines: [Data]) -> Data {
        lines.reduce(into: Data()) {
            $0.append($1)
            $0.append(0x0A)
        }
    }

    @Test func anUntouchedTranscriptVerifiesAndItsSealIsNoEvent() throws {
        let data = try Self.sealed()
        let v = TranscriptVerification.verify(data)
        let count = Self.lines(data).count
        #expect(v.outcome == .sealed(lines: count))
        #expect(v.holds)
        #expect(v.signature == .none(why: nil))
        #expect(v.line.hasPrefix("verified: \(count) lines"))
        let t = try Transcript.parse(data, path: "t")
        #expect(t.sealed)
        #expect(t.events.last?.type == "session_end")
        #expect(t.header.id == v.id && v.id != nil)
    }

    @Test func aTranscriptCutByKillVerifiesUpToItsLastWholeLine() throws {
        let data = try Self.sealed()
        let lines = Self.lines(data)
        // The seal never written, and the session's end half written.
        var cut = Self.join(Array(lines.dropLast(2)))
        cut.append(lines[lines.count - 2].prefix(20))
        let v = TranscriptVerification.verify(cut)
        #expect(v.outcome == .unsealed(lines: lines.count - 2, cutBytes: 20))
        #expect(!v.holds)
        #expect(v.verifiedLines == lines.count - 2)
        #expect(v.lastHash == TranscriptChain.hash(lines[lines.count - 3]))
        #expect(v.line.contains("not sealed"))
    }

    @Test func transcriptsFromBeforeTheChainReadAsUnverified() throws {
        for name in ["interrupt-v0.1.0.jsonl", "run-triage-v0.1.0.jsonl", "shell-v0.1.0.jsonl"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: TranscriptEventTests.fixture(name)))
            #expect(TranscriptVerification.verify(data).outcome == .unchained, "\(name)")
        }
    }

    @Test func aCopyToAnotherFileKeepsTheChain() throws {
        let path = NSTemporaryDirectory() + "rbsh-chain-\(UUID().uuidString).jsonl"
        let other = path + ".moved"
        defer { for p in [path, other] { try? FileManager.default.removeItem(atPath: p) } }
        let w = try TranscriptWriter(path: path, redactor: Redactor(), header: TranscriptHeader(command: "shell"))
        try w.write(.note("before the disk filled"))
        let moved = try w.continuing(at: other)
        try moved.write(.note("after"))
        try moved.write(.sessionEnded(status: .ok, reason: nil))
        let v = TranscriptVerification.verify(try Data(contentsOf: URL(fileURLWithPath: other)))
        #expect(v.holds, "\(v.line)")
        #expect(moved.id == w.id)
    }

    /// A mutation of a sealed transcript and the lines (1-based) it touched.
    enum Mutation: CustomStringConvertible {
        case byte(line: Int, offset: Int, to: UInt8)
        case removed(line: Int)
        case swapped(Int, Int)

        var description: String {
            switch self {
            case .byte(let l, let o, let b): return "line \(l) byte \(o) → \(b)"
            case .removed(let l): return "line \(l) removed"
            case .swapped(let a, let b): return "lines \(a) and \(b) swapped"
            }
        }
    }

    @Test func aThousandChangesRemovalsAndSwapsAreAllFoundWhereTheyAre() throws {
        var rng = SystemRandomNumberGenerator()
        let original = try Self.sealed()
        let lines = Self.lines(original)
        var located = 0
        for _ in 0..<1000 {
            var mutated = lines
            let mutation: Mutation
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                let l = Int.random(in: 0..<lines.count, using: &rng)
                // A byte of the line or its newline.
                let offset = Int.random(in: 0...lines[l].count, using: &rng)
                var byte = UInt8.random(in: 0...255, using: &rng)
                let old = offset < lines[l].count ? lines[l][lines[l].startIndex + offset] : 0x0A
                if byte == old { byte &+= 1 }
                mutation = .byte(line: l + 1, offset: offset, to: byte)
                var data = Self.join(lines)
                data[lines[..<l].reduce(0) { $0 + $1.count + 1 } + offset] = byte
                let v = TranscriptVerification.verify(data)
                try check(v, mutation, lines: lines.count)
                located += 1
                continue
            case 1:
                let l = Int.random(in: 1..<lines.count, using: &rng)  // the header's removal is a broken header
                mutated.remove(at: l)
                mutation = .removed(line: l + 1)
            default:
                let a = Int.random(in: 0..<lines.count, using: &rng)
                var b = Int.random(in: 0..<lines.count, using: &rng)
                if a == b { b = (a + 1) % lines.count }
                mutated.swapAt(a, b)
                mutation = .swapped(min(a, b) + 1, max(a, b) + 1)
            }
            try check(TranscriptVerification.verify(Self.join(mutated)), mutation, lines: lines.count)
            located += 1
        }
        #expect(located == 1000)
    }

    /// Not verified, and the line it names is at or next to what was touched;
    /// only the seal's own removal (or a cut into it) reads as "not sealed".
    func check(_ v: TranscriptVerification, _ m: Mutation, lines: Int) throws {
        #expect(!v.holds, "\(m): \(v.line)")
        let touched: [Int]
        switch m {
        case .byte(let l, _, _): touched = [l]
        case .removed(let l): touched = [l]
        case .swapped(let a, let b): touched = [a, b]
        }
        switch v.outcome {
        case .broken(let line, _):
            #expect(touched.contains { abs($0 - line) <= 1 }, "\(m): \(v.line)")
        case .unsealed:
            #expect(touched.contains { $0 >= lines - 1 }, "\(m): \(v.line)")
        case .sealed, .unchained:
            Issue.record("\(m) not found: \(v.line)")
        }
    }
}
