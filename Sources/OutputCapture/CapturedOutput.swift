import Foundation

/// Captured output, bounded: the head and the tail, with what was left out counted.
public struct CapturedOutput: Sendable, Hashable, Codable {
    public var text: String
    public var elidedBytes: Int

    public init(text: String = "", elidedBytes: Int = 0) {
        self.text = text
        self.elidedBytes = elidedBytes
    }

    public var isEmpty: Bool { text.isEmpty && elidedBytes == 0 }
}
