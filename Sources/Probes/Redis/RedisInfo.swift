import Foundation
import RunbookKit

/// `INFO` parsed into sections of values, with the figures the guide derives.
public struct RedisInfo: Sendable, Hashable {
    /// Section name (lower-cased: `memory`, `stats`...) to its fields.
    public var sections: [String: [String: Value]]

    public init(parsing text: String) {
        var sections: [String: [String: Value]] = [:]
        var current = "default"
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                current = line.dropFirst().trimmingCharacters(in: .whitespaces).lowercased()
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            let value = String(line[line.index(after: colon)...])
            sections[current, default: [:]][key] = Value(parsing: value)
        }
        self.sections = sections
    }

    /// A field from whichever section has it.
    public subscript(field: String) -> Value? {
        for section in sections.values { if let v = section[field] { return v } }
        return nil
    }

    /// keyspace_hits / (hits + misses), in percent; nil before any lookup.
    public var hitRatePercent: Double? {
        guard let hits = self["keyspace_hits"]?.number, let misses = self["keyspace_misses"]?.number,
              hits + misses > 0 else { return nil }
        return hits / (hits + misses) * 100
    }

    /// used_memory against maxmemory, in percent; nil when maxmemory is 0 (no limit).
    public var memoryUsedPercent: Double? {
        guard let used = self["used_memory"]?.number, let max = self["maxmemory"]?.number, max > 0 else { return nil }
        return used / max * 100
    }

    /// Every field flattened, plus `hit_rate` and `memory_used_pct` where known.
    public var values: [String: Value] {
        var out: [String: Value] = [:]
        for section in sections.values { out.merge(section) { a, _ in a } }
        if let h = hitRatePercent { out["hit_rate"] = .number(h) }
        if let m = memoryUsedPercent { out["memory_used_pct"] = .number(m) }
        return out
    }
}
