import Clients
import Foundation

/// What `rbsh transcript verify` finds: the chain from the header, the seal,
/// the seal's signature — and, when something breaks, the line where.
public struct TranscriptVerification: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// The chain holds from the header to a seal whose own hash holds.
        case sealed(lines: Int)
        /// The chain holds as far as it goes, and nothing seals it: a session
        /// cut short (kill -9), still running, or whose last lines were removed.
        case unsealed(lines: Int, cutBytes: Int)
        /// Line `line` (1-based) is where the chain breaks, and why.
        case broken(line: Int, reason: String)
        /// Written before transcripts were chained: nothing to check.
        case unchained
    }

    /// What the seal's signature says, when it was checked.
    public enum Signature: Sendable, Hashable {
        /// A hash-only seal; `why` when a signer was configured and could not sign.
        case none(why: String?)
        case good(principal: String)
        case bad(principal: String, reason: String)
        /// Signed by `principal`, not checked: no allowed_signers to check it against.
        case unchecked(principal: String)
    }

    public var outcome: Outcome
    public var signature: Signature = .none(why: nil)
    /// The header's id; the seal names it too.
    public var id: String?
    /// The hash of the last line whose chain held, and how many lines held (what a resumed session chains to).
    public var lastHash: String?
    public var verifiedLines = 0

    /// Whether everything checked held.
    public var holds: Bool {
        guard case .sealed = outcome else { return false }
        switch signature {
        case .bad: return false
        case .none, .good, .unchecked: return true
        }
    }

    /// Checks a transcript's bytes. `checkSignature` verifies an armored SSH
    /// signature of a message for a principal (nil: no allowed_signers).
    public static func verify(
        _ data: Data, checkSignature: ((_ message: Data, _ armored: String, _ principal: String) -> Result<Void, SignatureFailure>)? = nil
    ) -> TranscriptVerification {
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        var cut = 0
        if let last = lines.last {
            if last.isEmpty { lines.removeLast() } else { cut = last.count; lines.removeLast() }
        }
        guard let first = lines.first else { return TranscriptVerification(outcome: .broken(line: 1, reason: "there is no whole line")) }
        guard let header = try? JSONDecoder().decode(TranscriptHeader.self, from: Data(first)),
            header.format == TranscriptHeader.format
        else {
            return TranscriptVerification(outcome: .broken(line: 1, reason: "the first line is not an rbsh transcript header"))
        }
        var result = TranscriptVerification(outcome: .unchained, id: header.id)
        // Transcripts from before the chain have no id and no links.
        if header.id == nil, lines.count < 2 || Link(lines[1]) == nil { return result }
        var hashes = [TranscriptChain.hash(Data(first))]
        hashes.reserveCapacity(lines.count)
        result.record(hashes)
        for n in 1..<lines.count {
            let line = lines[n]
            let number = n + 1
            guard let link = Link(line) else {
                return result.broken(number, "line \(number) has no link to the line before it (changed, or not written by rbsh)")
            }
            if link.seq != n {
                let reason =
                    link.seq > n
                    ? "line \(number) is numbered \(link.seq + 1): \(link.seq - n) line(s) before it were removed"
                    : "line \(number) is numbered \(link.seq + 1): it was moved or copied here"
                return result.broken(number, reason)
            }
            if link.prev != hashes[n - 1] {
                // Which of the two changed: if the next line's link to this one fails too, this one did.
                let thisChanged = n + 1 < lines.count && Link(lines[n + 1])?.prev != TranscriptChain.hash(Data(line))
                // What held is what comes before the line that changed.
                if !thisChanged { hashes.removeLast() }
                result.record(hashes)
                return thisChanged
                    ? result.broken(number, "line \(number) was changed after it was written")
                    : result.broken(
                        n, "line \(n) was changed after it was written (line \(number) holds the hash it had)")
            }
            hashes.append(TranscriptChain.hash(Data(line)))
            result.record(hashes)
            if let seal = Seal(line) {
                if n + 1 < lines.count { return result.broken(number + 1, "line \(number + 1) was added after the seal") }
                if cut > 0 { return result.broken(number + 1, "\(cut) bytes were added after the seal") }
                guard seal.holds else { return result.broken(number, "the seal (line \(number)) was changed after it was written") }
                guard seal.id == header.id else {
                    return result.broken(
                        number, "the seal (line \(number)) names transcript \(seal.id ?? "none"), not \(header.id ?? "none")")
                }
                result.outcome = .sealed(lines: number)
                result.signature = .none(why: seal.unsigned)
                if let principal = seal.principal, let armored = seal.signature {
                    let message = TranscriptChain.sealMessage(id: header.id ?? "", lines: n, last: link.prev)
                    switch checkSignature?(message, armored, principal) {
                    case nil: result.signature = .unchecked(principal: principal)
                    case .success: result.signature = .good(principal: principal)
                    case .failure(let failure): result.signature = .bad(principal: principal, reason: failure.reason)
                    }
                }
                return result
            }
        }
        result.outcome = .unsealed(lines: lines.count, cutBytes: cut)
        return result
    }

    private mutating func record(_ held: [String]) {
        verifiedLines = held.count
        lastHash = held.last
    }

    private func broken(_ line: Int, _ reason: String) -> TranscriptVerification {
        var r = self
        r.outcome = .broken(line: line, reason: reason)
        return r
    }

    /// One line saying what was found.
    public var line: String {
        switch outcome {
        case .unchained: return "unverified: written before transcripts were chained"
        case .broken(let line, let reason): return "broken at line \(line): \(reason)"
        case .unsealed(let lines, let cut):
            let tail = cut > 0 ? ", then \(cut) bytes of a line cut short" : ""
            return "not sealed: the chain holds for \(lines) lines\(tail) (a session cut short, still running, or whose end was removed)"
        case .sealed(let lines):
            let signed: String
            switch signature {
            case .none(nil): signed = "hash-only seal"
            case .none(.some(let why)): signed = "hash-only seal (signing failed: \(why))"
            case .good(let p): signed = "signed by \(p), the signature verified against allowed_signers"
            case .bad(let p, let reason): return "the seal's signature by \(p) does not verify: \(reason)"
            case .unchecked(let p): signed = "signed by \(p), not checked (no allowed_signers configured)"
            }
            return "verified: \(lines) lines chained from the header and sealed; \(signed)"
        }
    }
}

/// The `{"prev":"H","seq":N,` a chained line begins with.
private struct Link {
    var prev: String
    var seq: Int

    init?(_ line: Data.SubSequence) {
        let head = Array(#"{"prev":""#.utf8)
        let mid = Array(#"","seq":"#.utf8)
        guard line.count > head.count + 64 + mid.count + 1, line.starts(with: head) else { return nil }
        let hashStart = line.startIndex + head.count
        let hashBytes = line[hashStart..<hashStart + 64]
        guard hashBytes.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        guard line[(hashStart + 64)...].starts(with: mid) else { return nil }
        var i = hashStart + 64 + mid.count
        var seq = 0
        var digits = 0
        while i < line.endIndex, (0x30...0x39).contains(line[i]), digits < 12 {
            seq = seq * 10 + Int(line[i] - 0x30)
            i += 1
            digits += 1
        }
        guard digits > 0, i < line.endIndex, line[i] == 0x2C || line[i] == 0x7D else { return nil }
        prev = String(decoding: hashBytes, as: UTF8.self)
        self.seq = seq
    }
}

/// A seal line, and whether its own hash holds.
private struct Seal {
    var id: String?
    var principal: String?
    var signature: String?
    var unsigned: String?
    var holds: Bool

    private struct Body: Decodable {
        var type: String?
        var id: String?
        var principal: String?
        var signature: String?
        var unsigned: String?
    }

    /// A line that says it is a seal, by its type or by how it ends.
    init?(_ line: Data.SubSequence) {
        let key = Array(#","seal":""#.utf8)
        let body = try? JSONDecoder().decode(Body.self, from: Data(line))
        let tail = line.count >= key.count + 66 ? line.suffix(key.count + 66) : Data.SubSequence()
        let endsAsSeal = tail.starts(with: key) && tail.suffix(2).elementsEqual(Array(#""}"#.utf8))
        guard body?.type == "seal" || endsAsSeal else { return nil }
        id = body?.id
        principal = body?.principal
        signature = body?.signature
        unsigned = body?.unsigned
        if endsAsSeal {
            // Its hash covers the line up to the hash itself, `,"seal":"` included.
            let own = String(decoding: tail.dropFirst(key.count).prefix(64), as: UTF8.self)
            holds = TranscriptChain.hash(Data(line.prefix(line.count - 66))) == own
        } else {
            holds = false
        }
    }
}
