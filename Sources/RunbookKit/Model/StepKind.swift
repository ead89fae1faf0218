import Foundation

/// A step kind as runbook files write it: the keys a step of the kind may
/// carry beside its kind key, and the result names its conditions and
/// messages may read. The loader, lint, the JSON Schema's test and the
/// shell's confirmations all read this one table.
public struct StepKind: Sendable, Hashable {
    public var name: String
    /// Keys beside the kind key and the common ones (`id`, `title`, `timeout`...).
    public var keys: [String]
    /// Result names a step of this kind produces, beside `StepKind.commonResults`.
    public var results: [String]
    /// Families of names, `json.` say: any name that starts with one of them.
    public var resultPrefixes: [String] = []
    /// Names that cannot be known before it runs (a query's columns, Redis
    /// INFO fields): any name may be read.
    public var openResults = false
    /// What it acts on, as a confirmation shows it: `postgres`, `redis`, `api`, `local`.
    public var target: String?

    /// Keys every step may carry.
    public static let commonKeys = ["id", "title", "description", "timeout", "findings", "next", "concurrent", "on", "scans", "review"]

    /// Results every step has: how it ended, when, what it printed.
    /// `timed_out`: it ran past its timeout (the one name, beside `status`, that tests a timeout).
    public static let commonResults = ["status", "ok", "failed", "timed_out", "duration", "duration_ms", "output", "error", "error_kind"]

    public static let all: [StepKind] = [
        StepKind(name: "shell", keys: ["env"], results: ["exit_code", "lines", "signal"], target: "local"),
        StepKind(
            name: "postgres", keys: ["params", "access", "autocommit"],
            results: ["row_count", "rows", "rows_affected", "command", "connected", "reconnected", "sqlstate"],
            openResults: true, target: "postgres"),
        StepKind(name: "redis", keys: [], results: ["value", "count", "connected", "reconnected"], openResults: true, target: "redis"),
        StepKind(
            name: "http", keys: ["method", "headers"],
            results: ["status_code", "latency_ms", "connected", "accepted", "answered", "first_bytes"],
            resultPrefixes: ["json.", "header."], target: "api"),
        StepKind(
            name: "tcp", keys: ["listening"],
            results: [
                "connected", "latency_ms", "listening", "count", "pid", "pid_started", "program", "command", "address", "row_count", "rows",
                "published_to", "published_by", "published_service",
            ]),
        StepKind(
            name: "tls", keys: ["server_name"],
            results: ["connected", "verified", "verify_error", "subject", "issuer", "sans", "days_left", "not_after", "protocol", "cipher"]),
        StepKind(
            name: "websocket", keys: ["ping"],
            results: [
                "connected", "accepted", "answered", "first_bytes", "status_code", "upgraded", "accept_valid", "latency_ms", "pong_ms",
                "pong",
            ], target: "api"),
        StepKind(
            name: "system", keys: [],
            results: [
                "cpu_pct", "cpus", "load1", "load5", "load15", "load_per_cpu", "mem_pct", "mem_total", "mem_available",
                "swap_pct", "swap_total", "disk_pct", "disk_max_pct", "disk_read_bytes", "disk_write_bytes",
                "net_rx_bytes", "net_tx_bytes", "collect_ms", "sample_ms", "own_cpu_pct", "top_pid", "top_program", "top_rss_mb",
                "top_mem_pct", "fd_used_pct", "swappiness", "listen_overflows", "row_count", "rows",
            ],
            resultPrefixes: ["disk."], target: "local"),
        // Per service `<service>.state`, `.exit_code`, `.oom_killed`, `.restarts`, `.health`, `.up_s`, `.mem_pct`...
        StepKind(
            name: "containers", keys: ["project", "logs", "stats"],
            results: [
                "engine", "engine_error", "count", "running", "not_running", "restarting", "unhealthy", "oom_killed", "projects",
                "row_count", "rows",
            ], openResults: true, target: "local"),
        StepKind(name: "ask", keys: ["choices", "into", "default"], results: ["answer"]),
        StepKind(name: "manual", keys: [], results: []),
        StepKind(name: "runbook", keys: ["mode"], results: ["runbook", "findings", "worst"]),
        StepKind(name: "sweep", keys: [], results: ["start_with", "causes", "findings", "worst"]),
    ]

    public static let names = all.map(\.name)

    public static func named(_ name: String) -> StepKind? { all.first { $0.name == name } }

    /// Every key a step may carry beside its kind key.
    public static let stepKeys: [String] = {
        var keys = commonKeys
        for kind in all { for k in kind.keys where !keys.contains(k) { keys.append(k) } }
        return keys
    }()

    /// Whether a step of this kind can give `result` a value.
    public func produces(_ result: String) -> Bool {
        openResults || Self.commonResults.contains(result) || results.contains(result) || resultPrefixes.contains { result.hasPrefix($0) }
    }

    /// Names to suggest for a misspelt one.
    public var knownResults: [String] { Self.commonResults + results }
}

extension StepAction {
    /// This step's kind in the table.
    public var stepKind: StepKind? { StepKind.named(kind) }
}
