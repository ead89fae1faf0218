import Foundation

extension Duration {
    /// The duration in milliseconds, as the clients report time.
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
