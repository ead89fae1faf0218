import Testing
@testable import OutputCapture

@Suite struct BoundedCaptureTests {
    @Test func keepsEverythingUnderTheLimit() {
        var c = BoundedCapture(limit: 16)
        c.append(Array("hello".utf8))
        #expect(c.captured.text == "hello")
        #expect(c.captured.elidedBytes == 0)
    }

    @Test func keepsHeadAndTailAndCountsTheRest() {
        var c = BoundedCapture(limit: 8)
        for chunk in ["0123", "4567", "89ab", "cdef"] { c.append(Array(chunk.utf8)) }
        #expect(c.totalBytes == 16)
        #expect(c.captured.elidedBytes == 8)
        #expect(c.captured.text.hasPrefix("0123"))
        #expect(c.captured.text.hasSuffix("cdef"))
        #expect(c.captured.text.contains("8 bytes elided"))
    }
}

extension BoundedCaptureTests {
    @Test func theTailRingWrapsAroundInBulk() {
        // Chunks smaller than the tail, many times over: the ring wraps mid-chunk.
        var c = BoundedCapture(limit: 10)
        var all = ""
        for i in 0..<37 {
            let chunk = String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: 3)
            all += chunk
            c.append(Array(chunk.utf8))
        }
        let text = c.captured.text
        #expect(text.hasPrefix(String(all.prefix(5))))
        #expect(text.hasSuffix(String(all.suffix(5))))
        #expect(c.captured.elidedBytes == all.count - 10)
    }
}
