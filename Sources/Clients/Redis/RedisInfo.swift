import Foundation

/// `INFO` parsed into sections of fields, with the figures the guide derives.
public struct RedisInfo: Sendable, Hashable {
    /// Section name (lower-cased: `memory`, `stats`...) to its fields, as the server wrote them.
    public var sections: [String: [String: String]]

    public init(parsing text: String) {
        var sections: [String: [String: String]] = [:]
        var current = "default"
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                current = line.dropFirst().trimmingCharacters(in: .whitespaces).lowercased()
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            sections[current, default: [:]][String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        self.sections = sections
    }

    /// A field from whichever section has it.
    public subscript(field: String) -> String? {
        for section in sections.values { if let v = section[field] { return v } }
        return nil
    }

    /// keyspace_hits / (hits + misses), in percent; nil before any lookup.
    public var hitRatePercent: Double? {
        guard let hits = self["keyspace_hits"].flatMap(Double.init), let misses = self["keyspace_misses"].flatMap(Double.init),
            hits + misses > 0
        else { return nil }
        return hits / (hits + misses) * 100
    }

    /// used_memory against maxmemory, in percent; nil when maxmemory is 0 (no limit).
    public var memoryUsedPercent: Double? {
        guard let used = self["used_memory"].flatMap(Double.init), let max = self["maxmemory"].flatMap(Double.init), max > 0 else {
            return nil
        }
        return used / max * 100
    }

    /// Every field, the sections flattened.
    public var fields: [String: String] {
        var out: [String: String] = [:]
        for section in sections.values { out.merge(section) { a, _ in a } }
        return out
    }
}
