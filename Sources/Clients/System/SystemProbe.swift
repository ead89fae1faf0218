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
    ///
    /// What this process, its children and `ownPIDs` (the database sessions
    /// rbsh itself uses) spent in the sample is not the machine's load: it is
    /// left out of `cpu_pct` and reported as `own_cpu_pct`.
    public static func collect(
        sampleMilliseconds: Int, topCount: Int = 10, ownPIDs: [Int] = [], interrupted: @Sendable () -> Bool = { false }
    ) -> Snapshot {
        let t0 = ContinuousClock.now
        let stat1 = read("/proc/stat")
        let overflows1 = listenOverflows(read("/proc/net/netstat"))
        let before = ProcessTable.read()
        var elapsed = ContinuousClock.now - t0
        let sampleEnd = ContinuousClock.now + .milliseconds(sampleMilliseconds)
        while ContinuousClock.now < sampleEnd, !interrupted() { usleep(10_000) }
        let t1 = ContinuousClock.now
        let stat2 = read("/proc/stat")
        let overflows2 = listenOverflows(read("/proc/net/netstat"))
        let after = ProcessTable.read()
        let own = after.ticks(since: before, of: Set([Int(getpid())] + ownPIDs))
        let mem = meminfo(read("/proc/meminfo"))
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        var snap = assemble(
            cpu: (cpuTimes(stat1), cpuTimes(stat2)), cpus: Double(ProcessInfo.processInfo.activeProcessorCount),
            loadavg: read("/proc/loadavg"), mem: mem, disks: disks(),
            io: diskIO(read("/proc/diskstats")) { FileManager.default.fileExists(atPath: "/sys/block/\($0)") },
            net: networkIO(read("/proc/net/dev")),
            processes: after.entries.values.filter { $0.residentPages > 0 }.map { ($0.pid, $0.name, $0.residentPages * page) },
            topCount: topCount, ownTicks: own)
        elapsed += ContinuousClock.now - t1
        snap.collectMilliseconds = elapsed.milliseconds
        snap.metrics["collect_ms"] = snap.collectMilliseconds
        snap.metrics["sample_ms"] = Double(sampleMilliseconds)
        // The kernel's limits the guide tunes (system-optimization.sh), with what they limit.
        for (name, value) in kernelFigures(fileNr: read("/proc/sys/fs/file-nr"), swappiness: read("/proc/sys/vm/swappiness")) {
            snap.metrics[name] = value
        }
        if let a = overflows1, let b = overflows2, b >= a { snap.metrics["listen_overflows"] = b - a }
        return snap
    }

    /// `fd_used_pct` (open file handles against fs.file-max) and `swappiness`.
    static func kernelFigures(fileNr: String, swappiness: String) -> [String: Double] {
        var out: [String: Double] = [:]
        let f = fileNr.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Double($0) }
        if f.count == 3, f[2] > 0 { out["fd_used_pct"] = round1(f[0] / f[2] * 100) }
        if let v = Double(swappiness.trimmingCharacters(in: .whitespacesAndNewlines)) { out["swappiness"] = v }
        return out
    }

    /// TcpExt ListenOverflows from /proc/net/netstat: connections dropped because an accept queue was full.
    static func listenOverflows(_ text: String) -> Double? {
        let lines = text.split(separator: "\n")
        for (i, line) in lines.enumerated() where line.hasPrefix("TcpExt:") && i + 1 < lines.count && lines[i + 1].hasPrefix("TcpExt:") {
            let names = line.split(separator: " "), values = lines[i + 1].split(separator: " ")
            guard let at = names.firstIndex(of: "ListenOverflows"), at < values.count else { return nil }
            return Double(values[at])
        }
        return nil
    }

    /// A snapshot from what `RemoteCommand.systemSnapshot` printed on a
    /// host, by section: the same names and figures as a local one.
    public static func parse(sections s: [String: String], topCount: Int = 10) -> Snapshot {
        let blocks = Set((s["blocks"] ?? "").split(whereSeparator: \.isNewline).map(String.init))
        let page = Double((s["pagesize"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 4096
        var names: [Int: String] = [:]
        for (pid, text) in perProcess(s["comm"] ?? "", file: "comm") { names[pid] = text.trimmingCharacters(in: .whitespaces) }
        var procs: [(pid: Int, name: String, rss: Double)] = []
        for (pid, text) in perProcess(s["statm"] ?? "", file: "statm") {
            let f = text.split(separator: " ")
            guard f.count >= 2, let pages = Double(f[1]), pages > 0 else { continue }
            procs.append((pid, names[pid] ?? "?", pages * page))
        }
        return assemble(
            cpu: (cpuTimes(s["stat1"] ?? ""), cpuTimes(s["stat2"] ?? "")),
            cpus: Double((s["cpus"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)),
            loadavg: s["loadavg"] ?? "", mem: meminfo(s["meminfo"] ?? ""),
            disks: disks(mounts: s["mounts"] ?? "", df: s["df"] ?? ""),
            io: diskIO(s["diskstats"] ?? "") { blocks.contains($0) }, net: networkIO(s["netdev"] ?? ""), processes: procs,
            topCount: topCount)
    }

    /// `grep -H '' /proc/[0-9]*/FILE` lines, as (pid, text).
    static func perProcess(_ text: String, file: String) -> [(Int, String)] {
        text.split(separator: "\n").compactMap { line in
            // /proc/PID/FILE:TEXT
            guard line.hasPrefix("/proc/"), let colon = line.firstIndex(of: ":") else { return nil }
            let path = line[line.index(line.startIndex, offsetBy: 6)..<colon]
            guard path.hasSuffix("/" + file), let pid = Int(path.dropLast(file.count + 1)) else { return nil }
            return (pid, String(line[line.index(after: colon)...]))
        }
    }

    static func assemble(
        cpu: ((busy: UInt64, total: UInt64)?, (busy: UInt64, total: UInt64)?), cpus: Double?, loadavg: String,
        mem: [String: Double], disks: [(mount: String, usedPercent: Double, total: Double, free: Double)],
        io: (read: Double, written: Double), net: (rx: Double, tx: Double), processes: [(pid: Int, name: String, rss: Double)],
        topCount: Int, ownTicks: UInt64 = 0
    ) -> Snapshot {
        var snap = Snapshot()
        if let a = cpu.0, let b = cpu.1, b.total > a.total {
            let busy = Double(b.busy - a.busy), total = Double(b.total - a.total)
            let own = min(Double(ownTicks), busy)
            snap.metrics["cpu_pct"] = round1((busy - own) / total * 100)
            snap.metrics["own_cpu_pct"] = round1(own / total * 100)
        }
        if let cpus { snap.metrics["cpus"] = cpus }

        let load = loadavg.split(separator: " ")
        for (i, name) in ["load1", "load5", "load15"].enumerated() where i < load.count {
            if let v = Double(load[i]) { snap.metrics[name] = v }
        }

        if let l = snap.metrics["load1"], let c = snap.metrics["cpus"], c > 0 {
            snap.metrics["load_per_cpu"] = round1(l / c)
        }

        if let total = mem["MemTotal"], let available = mem["MemAvailable"], total > 0 {
            snap.metrics["mem_total"] = total
            snap.metrics["mem_available"] = available
            snap.metrics["mem_pct"] = round1((total - available) / total * 100)
        }
        if let total = mem["SwapTotal"], let free = mem["SwapFree"] {
            snap.metrics["swap_total"] = total
            snap.metrics["swap_pct"] = total > 0 ? round1((total - free) / total * 100) : 0
        }

        snap.disks = disks
        let root = snap.disks.first { $0.mount == "/" } ?? snap.disks.first
        if let root { snap.metrics["disk_pct"] = root.usedPercent }
        snap.metrics["disk_max_pct"] = snap.disks.map(\.usedPercent).max() ?? 0
        for d in snap.disks { snap.metrics["disk.\(d.mount).pct"] = d.usedPercent }

        snap.metrics["disk_read_bytes"] = io.read
        snap.metrics["disk_write_bytes"] = io.written
        snap.metrics["net_rx_bytes"] = net.rx
        snap.metrics["net_tx_bytes"] = net.tx

        snap.processes = topProcesses(processes, count: topCount, memTotal: mem["MemTotal"] ?? 0)
        return snap
    }

    /// The columns of `Snapshot.processes`.
    public static let processColumns = ["pid", "program", "rss_mb", "mem_pct"]

    static func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Jiffies busy and in total, from the first line of /proc/stat.
    static func cpuTimes(_ stat: String) -> (busy: UInt64, total: UInt64)? {
        guard let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 5 else { return nil }
        let total = fields.reduce(0, +)
        let idle = fields[3] + fields[4]  // idle + iowait
        return (total - idle, total)
    }

    /// /proc/meminfo in bytes.
    static func meminfo(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") {
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

    /// The real file systems of /proc/mounts, each once, sized by statvfs.
    static func disks() -> [(mount: String, usedPercent: Double, total: Double, free: Double)] {
        realMounts(read("/proc/mounts")).compactMap { mount in
            var st = statvfs()
            guard statvfs(mount, &st) == 0, st.f_blocks > 0 else { return nil }
            let size = Double(st.f_frsize)
            return sized(
                mount, total: Double(st.f_blocks) * size, free: Double(st.f_bavail) * size, used: Double(st.f_blocks - st.f_bfree) * size)
        }.sorted { $0.mount < $1.mount }
    }

    /// The same from a host's /proc/mounts and `df -P -k` (statvfs's figures in KiB).
    static func disks(mounts: String, df: String) -> [(mount: String, usedPercent: Double, total: Double, free: Double)] {
        var sizes: [String: (total: Double, used: Double, free: Double)] = [:]
        for line in df.split(separator: "\n").dropFirst() {
            // Filesystem 1024-blocks Used Available Capacity Mounted-on (which may hold spaces)
            let f = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard f.count == 6, let total = Double(f[1]), let used = Double(f[2]), let free = Double(f[3]) else { continue }
            sizes[String(f[5])] = (total * 1024, used * 1024, free * 1024)
        }
        return realMounts(mounts).compactMap { mount in
            guard let s = sizes[mount], s.total > 0 else { return nil }
            return sized(mount, total: s.total, free: s.free, used: s.used)
        }.sorted { $0.mount < $1.mount }
    }

    /// Mount points of real file systems, each once, in /proc/mounts' order.
    static func realMounts(_ text: String) -> [String] {
        var out: [String] = []
        var seen: Set<String> = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 3, !pseudoFilesystems.contains(String(f[2])) else { continue }
            let mount = String(f[1]).replacingOccurrences(of: "\\040", with: " ")
            if seen.insert(mount).inserted { out.append(mount) }
        }
        return out
    }

    static func sized(_ mount: String, total: Double, free: Double, used: Double) -> (
        mount: String, usedPercent: Double, total: Double, free: Double
    ) {
        // As df computes Use%: used against what non-root users can have.
        let pct = used + free > 0 ? round1(used / (used + free) * 100) : 0
        return (mount, pct, total, free)
    }

    /// Bytes read and written by whole disks (not partitions), from /proc/diskstats.
    static func diskIO(_ text: String, isDisk: (String) -> Bool) -> (read: Double, written: Double) {
        var r = 0.0, w = 0.0
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 10 else { continue }
            let name = String(f[2])
            if name.hasPrefix("loop") || name.hasPrefix("ram") { continue }
            // A partition has a parent in /sys/block/NAME? Count devices listed there only.
            guard isDisk(name) else { continue }
            r += (Double(f[5]) ?? 0) * 512
            w += (Double(f[9]) ?? 0) * 512
        }
        return (r, w)
    }

    static func networkIO(_ text: String) -> (rx: Double, tx: Double) {
        var rx = 0.0, tx = 0.0
        for line in text.split(separator: "\n").dropFirst(2) {
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
    static func topProcesses(_ all: [(pid: Int, name: String, rss: Double)], count: Int, memTotal: Double) -> [[String?]] {
        let procs = all.sorted { $0.rss > $1.rss || ($0.rss == $1.rss && $0.pid < $1.pid) }
        return procs.prefix(count).map { p in
            [
                String(p.pid), p.name, String(format: "%.1f", p.rss / 1_048_576),
                memTotal > 0 ? String(format: "%.1f", p.rss / memTotal * 100) : nil,
            ]
        }
    }
}
