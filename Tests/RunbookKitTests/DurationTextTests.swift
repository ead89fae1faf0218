import Testing
@testable import RunbookKit

/// Durations as lines and messages write them, without `String(format:)`.
@Suite struct DurationTextTests {
    @Test func durationsAreWrittenWithoutAFormatter() {
        #expect(DurationText.milliseconds(0.44) == "0.4 ms")
        #expect(DurationText.milliseconds(9.96) == "10.0 ms")
        #expect(DurationText.milliseconds(1234.5) == "1235 ms")
        #expect(DurationText.text(1.25) == "1.3 s")
        #expect(DurationText.oneDecimal(-0.5) == "-0.5")
        #expect(DurationText.whole(.nan) == "nan")
    }
}
