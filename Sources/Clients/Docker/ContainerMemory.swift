import Foundation

/// A running container's memory in use, read from its control group's own files where this machine has them
/// (rbsh on the engine's machine): instantly, where the engine's stats wait for its next collection (up to a
/// second). Counted as `docker stats` counts it: in use, without the inactive page cache. cgroup v2
/// (`memory.current`, `inactive_file`) and v1 (`memory.usage_in_bytes`, `total_inactive_file`); the group is
/// the container's main process's, from /proc/PID/cgroup.
public enum ContainerMemory {
    /// Bytes in use by the control group of process `pid`, which must be container `id`'s (a pid read from the
    /// engine names another process where rbsh runs in a container of its own), or nil where they cannot be
    /// read here.
    public static func used(pid: Int, id: String, root: String = "/sys/fs/cgroup", proc: String = "/proc") -> Double? {
        guard pid > 0, let groups = try? String(contentsOfFile: "\(proc)/\(pid)/cgroup", encoding: .utf8) else { return nil }
        for line in groups.split(separator: "\n") {
            // `0::/docker/ID` (v2), `7:memory:/docker/ID` (v1).
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, !id.isEmpty, fields[2].contains(id) else { continue }
            if fields[0] == "0", fields[1].isEmpty,
                let current = number("\(root)\(fields[2])/memory.current")
            {
                return max(0, current - (stat("\(root)\(fields[2])/memory.stat")["inactive_file"] ?? 0))
            }
            if fields[1].split(separator: ",").contains("memory"), let usage = number("\(root)/memory\(fields[2])/memory.usage_in_bytes") {
                return max(0, usage - (stat("\(root)/memory\(fields[2])/memory.stat")["total_inactive_file"] ?? 0))
            }
        }
        return nil
    }

    private static func number(_ path: String) -> Double? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    static func stat(_ path: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n") ?? [] {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Double(parts[1]) { out[String(parts[0])] = v }
        }
        return out
    }
}
