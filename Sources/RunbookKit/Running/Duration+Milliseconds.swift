import Foundation

extension Duration {
    /// The duration in milliseconds, as steps and transcripts report time.
    public var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
