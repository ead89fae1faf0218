import Foundation

/// The text ssh runs on a host for a step. Values go in as exported
/// environment variables, single-quoted; the step's own command is one
/// quoted word the remote shell never re-reads.
///
/// The command runs in a session of its own (`setsid`, where there is one)
/// while a watchdog reads the connection's standard input: when rbsh stops
/// the step (Ctrl-C, its timeout, a signal) the local ssh goes, the input
/// ends, and the watchdog stops the command's whole process group, so
/// nothing outlives the step on the host either.
public enum RemoteCommand {
    /// `command` under `sh -c` on the host, with `environment` exported.
    public static func shell(_ command: String, environment: [String: String] = [:]) -> String {
        var lines: [String] = []
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where isName(name) {
            lines.append("export \(name)=\(quote(value))")
        }
        let run = "sh -c \(quote(command))"
        lines.append("exec 3<&0 </dev/null")
        lines.append("if command -v setsid >/dev/null 2>&1; then setsid \(run) & else \(run) & fi")
        lines.append("c=$!")
        lines.append(
            "(cat >/dev/null <&3; kill -TERM -- -$c 2>/dev/null || kill -TERM $c 2>/dev/null; sleep 2; kill -KILL -- -$c 2>/dev/null) >/dev/null 2>&1 &"
        )
        lines.append("w=$!")
        lines.append("exec 3<&-")
        lines.append("wait $c; s=$?")
        lines.append("kill $w 2>/dev/null")
        lines.append("exit $s")
        return lines.joined(separator: "\n")
    }

    /// A word the shell reads back as exactly `text`.
    public static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func isName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && CharacterSet.letters.contains(first)) else {
            return false
        }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }
    }

    /// The marker a section of a collecting script's output starts with.
    public static let sectionMarker = "@@rbsh:"

    /// Splits a collecting script's output into its sections, by name.
    public static func sections(_ output: String) -> [String: String] {
        var out: [String: String] = [:]
        var name: String?
        var body: [Substring] = []
        func flush() { if let name { out[name] = body.joined(separator: "\n") } }
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(sectionMarker) {
                flush()
                name = String(line.dropFirst(sectionMarker.count))
                body = []
            } else {
                body.append(line)
            }
        }
        flush()
        return out
    }

    /// What a `system` step reads on a host: /proc's files, the file systems'
    /// sizes (`df -P -k`, statvfs underneath) and each process's memory, as
    /// text to parse here. CPU use is sampled over `sampleMilliseconds`.
    public static func systemSnapshot(sampleMilliseconds: Int) -> String {
        let m = sectionMarker
        let seconds = String(format: "%.3f", Double(max(0, sampleMilliseconds)) / 1000)
        return """
            echo '\(m)stat1'; head -n 1 /proc/stat
            sleep \(seconds) 2>/dev/null || sleep 1
            echo '\(m)stat2'; head -n 1 /proc/stat
            echo '\(m)cpus'; getconf _NPROCESSORS_ONLN 2>/dev/null || nproc
            echo '\(m)pagesize'; getconf PAGESIZE 2>/dev/null || echo 4096
            echo '\(m)loadavg'; cat /proc/loadavg
            echo '\(m)meminfo'; cat /proc/meminfo
            echo '\(m)mounts'; cat /proc/mounts
            echo '\(m)df'; df -P -k 2>/dev/null
            echo '\(m)diskstats'; cat /proc/diskstats 2>/dev/null
            echo '\(m)blocks'; ls /sys/block 2>/dev/null
            echo '\(m)netdev'; cat /proc/net/dev
            echo '\(m)statm'; grep -s -H '' /proc/[0-9]*/statm
            echo '\(m)comm'; grep -s -H '' /proc/[0-9]*/comm
            exit 0
            """
    }

    /// What a listening `tcp` step reads on a host: the TCP tables, which
    /// processes hold which sockets, and their names and command lines.
    public static func listeningSnapshot() -> String {
        let m = sectionMarker
        return """
            echo '\(m)tcp'; cat /proc/net/tcp 2>/dev/null
            echo '\(m)tcp6'; cat /proc/net/tcp6 2>/dev/null
            echo '\(m)fds'; find /proc/[0-9]*/fd -lname 'socket:*' -printf '%h %l\\n' 2>/dev/null
            echo '\(m)comm'; grep -s -H '' /proc/[0-9]*/comm
            echo '\(m)cmdline'; grep -s -a -H '' /proc/[0-9]*/cmdline
            exit 0
            """
    }
}
