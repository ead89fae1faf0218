import Foundation

/// Keeps the first and last `limit / 2` bytes of a stream and counts the
/// bytes between, so a step that prints gigabytes uses bounded memory.
public struct BoundedCapture: Sendable {
    public let limit: Int
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    /// Where the next tail byte goes once the tail ring is full.
    private var tailStart = 0
    public private(set) var totalBytes = 0

    public init(limit: Int) {
        self.limit = max(limit, 2)
        head.reserveCapacity(min(self.limit / 2, 1 << 16))
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        totalBytes += bytes.count
        var rest = UnsafeRawBufferPointer(rebasing: bytes[...])
        let headRoom = limit / 2 - head.count
        if headRoom > 0 {
            let take = min(headRoom, rest.count)
            head.append(contentsOf: rest.prefix(take))
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
        }
        guard !rest.isEmpty else { return }
        let tailLimit = limit - limit / 2
        if rest.count >= tailLimit {
            tail = Array(rest.suffix(tailLimit))
            tailStart = 0
            return
        }
        if tail.count < tailLimit {
            let fill = min(tailLimit - tail.count, rest.count)
            tail.append(contentsOf: rest.prefix(fill))
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(fill))
            guard !rest.isEmpty else { return }
        }
        // The ring is full: overwrite from tailStart, in at most two copies.
        tail.withUnsafeMutableBytes { ring in
            var source = rest
            while let from = source.baseAddress, let to = ring.baseAddress, !source.isEmpty {
                let n = min(source.count, tailLimit - tailStart)
                (to + tailStart).copyMemory(from: from, byteCount: n)
                tailStart = (tailStart + n) % tailLimit
                source = UnsafeRawBufferPointer(rebasing: source.dropFirst(n))
            }
        }
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The kept text, with a line saying how much was left out between head and tail.
    public var captured: CapturedOutput {
        let orderedTail = Array(tail[tailStart...] + tail[..<tailStart])
        let elided = totalBytes - head.count - orderedTail.count
        if elided == 0 {
            return CapturedOutput(text: String(decoding: head + orderedTail, as: UTF8.self), elidedBytes: 0)
        }
        let text =
            String(decoding: head, as: UTF8.self)
            + "\n[… \(elided) bytes elided …]\n"
            + String(decoding: orderedTail, as: UTF8.self)
        return CapturedOutput(text: text, elidedBytes: elided)
    }
}
