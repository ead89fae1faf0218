import Foundation

/// Who listens on a local TCP port, read from /proc/net/tcp{,6} and
/// /proc/*/fd, as `ss -ltnp` shows it.
public enum ListeningSockets {
    public struct Listener: Sendable, Hashable {
        public var address: String
        public var port: Int
        public var inode: UInt64
        public var pid: Int?
        public var program: String?
        /// The whole command line, arguments joined by spaces.
        public var command: String?
        /// When the process started (clock ticks since boot): with the pid,
        /// which process it is; a pid reused by another has another.
        public var started: UInt64?
    }

    public static func listeners(port: Int? = nil) -> [Listener] {
        let tables = ["/proc/net/tcp", "/proc/net/tcp6"].map { (try? String(contentsOfFile: $0, encoding: .utf8)) ?? "" }
        let found = sockets(tcp: tables[0], tcp6: tables[1], port: port)
        guard !found.isEmpty else { return [] }
        return withStartTimes(owned(found, by: localOwners(Set(found.map(\.inode)))))
    }

    /// The same from what `RemoteCommand.listeningSnapshot` printed on a host, by section.
    public static func parse(sections s: [String: String], port: Int? = nil) -> [Listener] {
        let found = sockets(tcp: s["tcp"] ?? "", tcp6: s["tcp6"] ?? "", port: port)
        guard !found.isEmpty else { return [] }
        let wanted = Set(found.map(\.inode))
        var pids: [UInt64: Int] = [:]
        // "/proc/PID/fd socket:[INODE]"
        for line in (s["fds"] ?? "").split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 2, f[0].hasPrefix("/proc/"), f[1].hasPrefix("socket:["),
                let pid = Int(f[0].dropFirst(6).dropLast(3)), let inode = UInt64(f[1].dropFirst(8).dropLast()),
                wanted.contains(inode), pids[inode] == nil
            else { continue }
            pids[inode] = pid
        }
        var comm: [Int: String] = [:]
        for (pid, text) in SystemProbe.perProcess(s["comm"] ?? "", file: "comm") { comm[pid] = text.trimmingCharacters(in: .whitespaces) }
        var cmdline: [Int: String] = [:]
        for (pid, text) in SystemProbe.perProcess(s["cmdline"] ?? "", file: "cmdline") {
            cmdline[pid] = text.split(separator: "\u{0}").joined(separator: " ")
        }
        var owners: [UInt64: (Int, String, String)] = [:]
        for (inode, pid) in pids { owners[inode] = (pid, comm[pid] ?? "?", cmdline[pid] ?? "") }
        return owned(found, by: owners)
    }

    static func owned(_ found: [Listener], by owners: [UInt64: (Int, String, String)]) -> [Listener] {
        found.map { l in
            var l = l
            if let o = owners[l.inode] { l.pid = o.0; l.program = o.1; l.command = o.2 }
            return l
        }
    }

    /// Listening sockets in /proc/net/tcp{,6}'s text, on `port` (any when nil).
    static func sockets(tcp: String, tcp6: String, port: Int?) -> [Listener] {
        var found: [Listener] = []
        for (text, v6) in [(tcp, false), (tcp6, true)] {
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                // sl local_address rem_address st ... uid timeout inode
                guard f.count >= 10, f[3] == "0A", let inode = UInt64(f[9]) else { continue }
                let local = f[1].split(separator: ":")
                guard local.count == 2, let p = Int(local[1], radix: 16) else { continue }
                if let port, p != port { continue }
                found.append(Listener(address: decode(String(local[0]), v6: v6), port: p, inode: inode))
            }
        }
        return found
    }

    /// Socket inodes to the processes holding them, from /proc/*/fd.
    static func localOwners(_ wanted: Set<UInt64>) -> [UInt64: (Int, String, String)] {
        var owners: [UInt64: (Int, String, String)] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int(entry) else { continue }
            let fdDir = "/proc/\(pid)/fd"
            for fd in (try? FileManager.default.contentsOfDirectory(atPath: fdDir)) ?? [] {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdDir)/\(fd)"),
                    target.hasPrefix("socket:["), let inode = UInt64(target.dropFirst(8).dropLast()),
                    wanted.contains(inode), owners[inode] == nil
                else { continue }
                let comm = ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "?").trimmingCharacters(
                    in: .whitespacesAndNewlines)
                let cmdline = (FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data())
                    .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
                owners[inode] = (pid, comm, cmdline)
            }
            if owners.count == wanted.count { break }
        }
        return owners
    }

    /// Each listener's process start time, read here.
    static func withStartTimes(_ found: [Listener]) -> [Listener] {
        found.map { l in
            var l = l
            if let pid = l.pid, let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) {
                l.started = ProcessTable.parse(stat: text, pid: pid)?.startTicks
            }
            return l
        }
    }

    /// /proc/net/tcp's hex address, little-endian per 32-bit word.
    static func decode(_ hex: String, v6: Bool) -> String {
        var bytes: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex, let next = hex.index(i, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[i..<next], radix: 16) ?? 0)
            i = next
        }
        var ordered: [UInt8] = []
        for word in stride(from: 0, to: bytes.count, by: 4) {
            ordered += bytes[word..<min(word + 4, bytes.count)].reversed()
        }
        if !v6 { return ordered.map(String.init).joined(separator: ".") }
        if ordered.allSatisfy({ $0 == 0 }) { return "::" }
        if ordered[0..<10].allSatisfy({ $0 == 0 }), ordered[10] == 0xFF, ordered[11] == 0xFF {
            return "::ffff:" + ordered[12...].map(String.init).joined(separator: ".")
        }
        if ordered[0..<15].allSatisfy({ $0 == 0 }), ordered[15] == 1 { return "::1" }
        return stride(from: 0, to: 16, by: 2).map { String(format: "%x", Int(ordered[$0]) << 8 | Int(ordered[$0 + 1])) }.joined(
            separator: ":")
    }
}
