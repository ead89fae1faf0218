import Foundation

/// The shell's commands, their one-line help and an example, in the order `help` lists them.
enum ShellCommandTable {
    struct Entry {
        var name: String
        var usage: String
        var summary: String
        var example: String
    }

    static let entries: [Entry] = [
        Entry(name: "help", usage: "help [COMMAND]", summary: "list commands, or explain one", example: "help fix"),
        Entry(name: "list", usage: "list", summary: "the runbooks", example: "list"),
        Entry(
            name: "find", usage: "find SYMPTOM", summary: "the runbooks for what you see, best first (English or Chinese)",
            example: "find API接口无响应"),
        Entry(
            name: "start", usage: "start RUNBOOK", summary: "begin walking a runbook: its id, an alias (the guide's heading) or a prefix",
            example: "start 数据库连接失败"),
        Entry(
            name: "hosts", usage: "hosts [INVENTORY|none]", summary: "start runs on an inventory's hosts (PATTERN after it); none: here",
            example: "hosts inventory.ini agents"),
        Entry(name: "next", usage: "next  (or an empty line)", summary: "run the pending step", example: "next"),
        Entry(name: "skip", usage: "skip", summary: "skip the pending step (or decline the pending fix)", example: "skip"),
        Entry(name: "retry", usage: "retry", summary: "run the last step again", example: "retry"),
        Entry(name: "back", usage: "back", summary: "go back to the step before", example: "back"),
        Entry(name: "goto", usage: "goto STEP", summary: "jump to a step", example: "goto connections"),
        Entry(name: "steps", usage: "steps", summary: "the runbook's steps and where you are", example: "steps"),
        Entry(name: "findings", usage: "findings", summary: "what the steps found so far", example: "findings"),
        Entry(
            name: "fix", usage: "fix [REMEDIATION]", summary: "offer the remediations for the open findings", example: "fix terminate-idle"),
        Entry(name: "sh", usage: "sh COMMAND", summary: "run a shell command (recorded)", example: "sh df -h"),
        Entry(
            name: "sql", usage: "sql QUERY", summary: "run read-only SQL on the PostgreSQL target",
            example: "sql select count(*) from pg_stat_activity"),
        Entry(name: "redis", usage: "redis CMD ARGS...", summary: "a Redis command on the Redis target", example: "redis INFO memory"),
        Entry(name: "http", usage: "http URL", summary: "GET a URL", example: "http http://127.0.0.1:8000/api/v1/health"),
        Entry(
            name: "check", usage: "check system|tcp|listen|tls|ws ...",
            summary: "CPU, memory, disks; a port; who listens; a certificate; a WebSocket",
            example: "check tls localhost:443"),
        Entry(name: "note", usage: "note TEXT", summary: "add a note to the transcript", example: "note restarted by hand at 03:12"),
        Entry(name: "set", usage: "set NAME=VALUE", summary: "set a runbook variable", example: "set idle_minutes=5"),
        Entry(name: "vars", usage: "vars", summary: "the variables", example: "vars"),
        Entry(
            name: "target", usage: "target [NAME [URL]]", summary: "show or change a target (postgres, redis, api)",
            example: "target redis redis://127.0.0.1:6379"),
        Entry(
            name: "transcript", usage: "transcript [export markdown|json [FILE]]",
            summary: "where this session is recorded; a postmortem of it so far",
            example: "transcript export markdown incident.md"),
        Entry(
            name: "recall", usage: "recall [TEXT]",
            summary: "the last session that found this cause, or past ones like TEXT",
            example: "recall postgres-unreachable"),
        Entry(
            name: "\\x", usage: "\\x [on|off|auto]", summary: "expanded display: one `column | value` block a row (auto: for wide rows)",
            example: "\\x on"),
        Entry(name: "quit", usage: "quit  (or Ctrl-D)", summary: "end the session", example: "quit"),
    ]

    static var names: [String] { entries.map(\.name) }

    /// `help`: usages in a column, summaries beside them, wrapped to
    /// `width`. A usage wider than the column gets a line of its own and its
    /// summary starts on the next, at the column, so nothing runs together.
    static func help(width: Int) -> String {
        let column = min(entries.map(\.usage.count).max() ?? 0, 26)
        let indent = 2 + column + 2
        let room = max(20, width - indent - 1)
        var out = ""
        for e in entries {
            let lines = wrap(e.summary, to: room)
            if e.usage.count <= column {
                out += "  " + e.usage.padding(toLength: column, withPad: " ", startingAt: 0) + "  " + (lines.first ?? "") + "\n"
            } else {
                out += "  " + e.usage + "\n" + String(repeating: " ", count: indent) + (lines.first ?? "") + "\n"
            }
            for line in lines.dropFirst() { out += String(repeating: " ", count: indent) + line + "\n" }
        }
        return out
    }

    /// Words to lines of at most `width` characters (a longer word alone on its line).
    static func wrap(_ text: String, to width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
    static func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }
}
