import Foundation

/// Where the index is: `memory.index` in the config, else
/// `$XDG_STATE_HOME/rbsh/memory.sqlite` (`~/.local/state/rbsh/memory.sqlite`).
public enum MemoryLocation {
    public static func path(configured: String?, environment: [String: String]) -> String {
        if let configured, !configured.isEmpty { return configured }
        let base = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.local/state")
        return base + "/rbsh/memory.sqlite"
    }
}
