import Clients
import Foundation
import OutputCapture
import RunbookKit

/// `system` steps: CPU, memory, swap, disks, load and I/O from /proc, and the top processes.
extension ProbeRunner {
    func runSystem(_ a: SystemAction, control: StepControl) -> StepResult {
        // The database session rbsh itself uses is rbsh's load, not the machine's.
        let own = postgresLock.withLock { postgres.map { [Int($0.backendPID)] } ?? [] }
        return Self.systemResult(
            SystemProbe.collect(sampleMilliseconds: a.sampleMilliseconds, ownPIDs: own, interrupted: control.interrupted))
    }

    /// A snapshot as a step's result, here or from a host.
    static func systemResult(_ snap: SystemProbe.Snapshot) -> StepResult {
        let table = ResultTable(columns: SystemProbe.processColumns, rows: snap.processes)
        var r = StepResult(status: .ok, values: snap.metrics.mapValues { .number($0) }, table: table)
        // The process holding the most memory, by names of their own (`mem_pct` is the machine's).
        if let top = snap.processes.first, top.count == 4 {
            r.values["top_pid"] = Value(parsing: top[0])
            r.values["top_program"] = .string(top[1] ?? "?")
            r.values["top_rss_mb"] = Value(parsing: top[2])
            r.values["top_mem_pct"] = Value(parsing: top[3])
        }
        func figure(_ name: String) -> String { r.values[name]?.text ?? "?" }
        func gb(_ b: Double) -> String { String(format: "%.1f GiB", b / 1_073_741_824) }
        var lines: [String] = []
        let own = r.values["own_cpu_pct"].map { " over \(figure("sample_ms")) ms (rbsh's own \($0.text)% left out)" } ?? ""
        lines.append(
            "cpu \(figure("cpu_pct"))% of \(figure("cpus")) cores\(own), load \(figure("load1")) \(figure("load5")) \(figure("load15"))")
        lines.append("memory \(figure("mem_pct"))% used of \(gb(snap.metrics["mem_total"] ?? 0)), swap \(figure("swap_pct"))%")
        for d in snap.disks { lines.append("disk \(d.mount): \(d.usedPercent)% used, \(gb(d.free)) free of \(gb(d.total))") }
        lines.append(TableFormatter.render(table))
        r.output = CapturedOutput(text: lines.joined(separator: "\n"))
        return r
    }
}
