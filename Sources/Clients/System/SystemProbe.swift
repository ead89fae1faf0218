import Foundation

/// CPU, memory, swap, disks, load, I/O counters and the top processes by
/// memory, read from /proc and statvfs: no external command.
public enum SystemProbe {
    public struct Snapshot: Sendable {
        /// `cpu_pct`, `mem_pct`, `load1`, `disk./.pct`...: the names steps read.
        public var metrics: [String: Double] = [:]
        /// The top processes by memory, one row each, in `processColumns`.
        public var processes: [[String?]] = []
        public var disks: [(mount: String, usedPercent: Double, total: Double, free: Double)] = []
        /// Time spent reading, without the CPU sample's sleep.
        public var collectMilliseconds: Double = 0
    }

    /// Reads everything; CPU use is measured over `sampleMilliseconds`.
    public static func collect(sampleMilliseconds: Int, topCount: Int = 10, interrupted: @Sendable () -> Bool = { false }) -> Snapshot {
        let t0 = ContinuousClock.now
        let cpu1 = cpuTimes()
        var elapsed = ContinuousClock.now - t0
        let sampleEnd = ContinuousClock.now + .milliseconds(sampleMilliseconds)
        while ContinuousClock.now < sampleEnd, !interrupted() { usleep(10_000) }
        let t1 = ContinuousClock.now
        let cpu2 = cpuTimes()
        var snap = Snapshot()
        if let a = cpu1, let b = cpu2, b.total > a.total {
            snap.metrics["cpu_pct"] = round1(Double(b.busy - a.busy) / Double(b.total - a.total) * 100)
        }
        snap.metrics["cpus"] = Double(ProcessInfo.processInfo.activeProcessorCount)

        let load = read("/proc/loadavg").split(separator: " ")
        for (i, name) in ["load1", "load5", "load15"].enumerated() where i < load.count {
            if let v = Double(load[i]) { snap.metrics[name] = v }
        }

        if let l = snap.metrics["load1"], let c = snap.metrics["cpus"], c > 0 {
            snap.metrics["load_per_cpu"] = round1(l / c)
        }

        let mem = meminfo()
        if let total = mem["MemTotal"], let available = mem["MemAvailable"], total > 0 {
            snap.metrics["mem_total"] = total
            snap.metrics["mem_available"] = available
            snap.metrics["mem_pct"] = round1((total - available) / total * 100)
        }
        if let total = mem["SwapTotal"], let free = mem["SwapFree"] {
            snap.metrics["swap_total"] = total
            snap.metrics["swap_pct"] = total > 0 ? round1((total - free) / total * 100) : 0
        }

        snap.disks = disks()
        let root = snap.disks.first { $0.mount == "/" } ?? snap.disks.first
        if let root { snap.metrics["disk_pct"] = root.usedPercent }
        snap.metrics["disk_max_pct"] = snap.disks.map(\.usedPercent).max() ?? 0
        for d in snap.disks { snap.metrics["disk.\(d.mount).pct"] = d.usedPercent }

        let io = diskIO()
        snap.metrics["disk_read_bytes"] = io.read
        snap.metrics["disk_write_bytes"] = io.written
        let net = networkIO()
        snap.metrics["net_rx_bytes"] = net.rx
        snap.metrics["net_tx_bytes"] = net.tx

        snap.processes = topProcesses(count: topCount, memTotal: mem["MemTotal"] ?? 0)
        elapsed += ContinuousClock.now - t1
        snap.collectMilliseconds = elapsed.milliseconds
        snap.metrics["collect_ms"] = snap.collectMilliseconds
        return snap
    }

    /// The columns of `Snapshot.processes`.
    public static let processColumns = ["pid", "program", "rss_mb", "mem_pct"]

    static func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Jiffies busy and in total, from the first line of /proc/stat.
    static func cpuTimes() -> (busy: UInt64, total: UInt64)? {
        guard let line = read("/proc/stat").split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 5 else { return nil }
        let total = fields.reduce(0, +)
        let idle = fields[3] + fields[4]  // idle + iowait
        return (total - idle, total)
    }

    /// /proc/meminfo in bytes.
    static func meminfo() -> [String: Double] {
        var out: [String: Double] = [:]
        for line in read("/proc/meminfo").split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let v = Double(parts[1]) else { continue }
            out[String(parts[0].dropLast())] = v * (parts.count > 2 && parts[2] == "kB" ? 1024 : 1)
        }
        return out
    }

    static let pseudoFilesystems: Set<String> = [
        "proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "cgroup", "cgroup2", "securityfs", "pstore", "debugfs", "tracefs",
        "mqueue", "hugetlbfs", "configfs", "fusectl", "bpf", "autofs", "binfmt_misc", "rpc_pipefs", "nsfs", "ramfs", "squashfs", "overlay",
    ]

    static func disks() -> [(mount: String, usedPercent: Double, total: Double, free: Double)] {
        var out: [(String, Double, Double, Double)] = []
        var seen: Set<String> = []
        for line in read("/proc/mounts").split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 3, !pseudoFilesystems.contains(String(f[2])) else { continue }
            let mount = String(f[1]).replacingOccurrences(of: "\\040", with: " ")
            guard seen.insert(mount).inserted else { continue }
            var st = statvfs()
            guard statvfs(mount, &st) == 0, st.f_blocks > 0 else { continue }
            let size = Double(st.f_frsize)
            let total = Double(st.f_blocks) * size
            let free = Double(st.f_bavail) * size
            let used = Double(st.f_blocks - st.f_bfree) * size
            // As df computes Use%: used against what non-root users can have.
            let pct = used + free > 0 ? round1(used / (used + free) * 100) : 0
            out.append((mount, pct, total, free))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Bytes read and written by whole disks (not partitions), from /proc/diskstats.
    static func diskIO() -> (read: Double, written: Double) {
        var r = 0.0, w = 0.0
        for line in read("/proc/diskstats").split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 10 else { continue }
            let name = String(f[2])
            if name.hasPrefix("loop") || name.hasPrefix("ram") { continue }
            // A partition has a parent in /sys/block/NAME? Count devices listed there only.
            guard FileManager.default.fileExists(atPath: "/sys/block/\(name)") else { continue }
            r += (Double(f[5]) ?? 0) * 512
            w += (Double(f[9]) ?? 0) * 512
        }
        return (r, w)
    }

    static func networkIO() -> (rx: Double, tx: Double) {
        var rx = 0.0, tx = 0.0
        for line in read("/proc/net/dev").split(separator: "\n").dropFirst(2) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            if name == "lo" { continue }
            let f = line[line.index(after: colon)...].split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 9 else { continue }
            rx += Double(f[0]) ?? 0
            tx += Double(f[8]) ?? 0
        }
        return (rx, tx)
    }

    /// The processes with the largest resident memory: pid, program, MB, % of RAM.
    static func topProcesses(count: Int, memTotal: Double) -> [[String?]] {
        var procs: [(pid: Int, name: String, rss: Double)] = []
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int(entry) else { continue }
            // /proc/PID/statm: size resident ... in pages; comm for the name.
            let statm = read("/proc/\(pid)/statm").split(separator: " ")
            guard statm.count >= 2, let pages = Double(statm[1]), pages > 0 else { continue }
            let name = read("/proc/\(pid)/comm").trimmingCharacters(in: .whitespacesAndNewlines)
            procs.append((pid, name, pages * Double(sysconf(Int32(_SC_PAGESIZE)))))
        }
        procs.sort { $0.rss > $1.rss }
        return procs.prefix(count).map { p in
            [
                String(p.pid), p.name, String(format: "%.1f", p.rss / 1_048_576),
                memTotal > 0 ? String(format: "%.1f", p.rss / memTotal * 100) : nil,
            ]
        }
    }
}
