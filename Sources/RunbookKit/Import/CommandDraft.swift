import Foundation

/// One item of a guide's shell block as a step or fix rbsh can run: SQL run
/// through `psql` (in a container or not) becomes a `sql` block rbsh runs
/// through libpq, a lone `redis-cli` command a `redis` block, text with no
/// command (a setting to edit) a manual fix; a command that never ends is
/// bounded; each change is said in a review note.
struct CommandDraft: Equatable {
    enum Kind: String { case sh, sql, redis, manual }
    var kind: Kind
    var body: [String]
    var notes: [String] = []

    /// PostgreSQL 13 renamed pg_stat_statements' timing columns.
    static let renamedColumns = ["total_time", "mean_time", "min_time", "max_time", "stddev_time"]

    init(kind: Kind, body: [String], notes: [String] = []) {
        self.kind = kind
        self.body = body
        self.notes = notes
    }

    init(_ lines: [String]) {
        let commands = lines.filter { !Self.isComment($0) && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let joined = lines.joined(separator: "\n")
        if commands.isEmpty {
            self.init(kind: .manual, body: lines.map(Self.uncommented))
        } else if let sql = Self.psqlText(joined) {
            var statement = sql
            var notes = ["was `\(Self.firstLine(commands))`: rbsh runs the SQL itself, through libpq, on the postgres target"]
            if statement.contains("pg_stat_statements") {
                for old in Self.renamedColumns where statement.range(of: "\\b\(old)\\b", options: .regularExpression) != nil {
                    let new = old.replacingOccurrences(of: "_time", with: "_exec_time")
                    statement = statement.replacingOccurrences(of: "\\b\(old)\\b", with: new, options: .regularExpression)
                    notes.append("`\(old)` is `\(new)` since PostgreSQL 13: corrected")
                }
            }
            self.init(kind: .sql, body: statement.components(separatedBy: "\n"), notes: notes)
        } else if commands.count == 1, let command = Self.redisCommand(commands[0]) {
            self.init(kind: .redis, body: [command], notes: ["was `\(commands[0])`: rbsh sends the command itself, through hiredis"])
        } else if Self.isSettings(commands) {
            self.init(kind: .manual, body: lines.map(Self.uncommented))
        } else {
            var notes: [String] = []
            let bounded = lines.map { line -> String in
                guard let (rewritten, why) = Self.bounded(line) else { return line }
                notes.append("`\(line.trimmingCharacters(in: .whitespaces))` \(why): `\(rewritten.trimmingCharacters(in: .whitespaces))`")
                return rewritten
            }
            self.init(kind: .sh, body: bounded, notes: notes)
        }
    }

    static func isComment(_ line: String) -> Bool { line.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
    static func uncommented(_ line: String) -> String {
        let t = line.trimmingCharacters(in: .whitespaces)
        return t.hasPrefix("#") ? String(t.dropFirst()).trimmingCharacters(in: .whitespaces) : line
    }
    /// A command's first line for a note, without the quote that opens its multi-line text.
    static func firstLine(_ commands: [String]) -> String {
        let first = commands[0].trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\"'")))
        return first.count > 70 ? String(first.prefix(70)) + "…" : first
    }

    /// The SQL of `[docker exec C] psql … -c "SQL"` when that is the whole item.
    static func psqlText(_ text: String) -> String? {
        let pattern =
            #"^\s*(?:(?:docker|docker-compose|docker\s+compose)\s+exec\s+(?:-\S+\s+)*\S+\s+)?psql\b[^"']*-c\s*(["'])([\s\S]*?)\1\s*$"#
        let text = text.trimmingCharacters(in: .newlines)
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let r = Range(m.range(at: 2), in: text)
        else { return nil }
        let sql = String(text[r]).trimmingCharacters(in: .whitespacesAndNewlines)
        return sql.isEmpty ? nil : sql
    }

    /// The command of `[docker exec C] redis-cli [-h H -p P -a X] CMD…`.
    static func redisCommand(_ line: String) -> String? {
        let pattern =
            #"^\s*(?:(?:docker|docker-compose|docker\s+compose)\s+exec\s+(?:-\S+\s+)*\S+\s+)?redis-cli\b((?:\s+-[hpan]\s+\S+)*)\s+(.+)$"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let m = regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)),
            let r = Range(m.range(at: 2), in: line)
        else { return nil }
        return line[r].trimmingCharacters(in: .whitespaces)
    }

    /// Lines that set things rather than run them: `KEY=value`, or YAML a person adds to a file.
    static func isSettings(_ commands: [String]) -> Bool {
        commands.allSatisfy { line in
            line.range(of: #"^\s*[A-Z][A-Z0-9_]*=\S*\s*$"#, options: .regularExpression) != nil
                || line.range(of: #"^\s*[a-z_][a-z0-9_]*:(\s+\S.*)?$"#, options: .regularExpression) != nil
        } || commands.allSatisfy { $0.range(of: #"^\s*(vim?|nano|emacs|edit)\s+\S+"#, options: .regularExpression) != nil }
    }

    /// A command that never ends by itself, bounded, and why; nil for one that ends.
    static func bounded(_ line: String) -> (String, String)? {
        let indent = String(line.prefix { $0 == " " || $0 == "\t" })
        let command = line.trimmingCharacters(in: .whitespaces)
        func matches(_ pattern: String) -> Bool { command.range(of: pattern, options: .regularExpression) != nil }
        if matches(#"^(top|htop)$"#) { return (indent + "top -b -n 1", "runs until someone stops it") }
        if matches(#"^(iostat|vmstat|mpstat|pidstat|sar)\b(\s+-\S+)*\s+\d+$"#) { return (line + " 3", "samples forever") }
        if matches(#"^ping\b"#), !matches(#"\s-[a-zA-Z]*c\b"#) {
            return (line.replacingOccurrences(of: "ping ", with: "ping -c 3 "), "pings forever")
        }
        if matches(#"^(sudo\s+)?journalctl\b.*\s(-f|--follow)\b"#) {
            let without = line.replacingOccurrences(of: #"\s(-f|--follow)\b"#, with: "", options: .regularExpression)
            return (without + " -n 50 --no-pager", "follows the journal forever")
        }
        if matches(#"^(tail|docker\s+logs|docker-compose\s+logs|docker\s+compose\s+logs)\b.*\s(-f|--follow)\b"#) {
            return (line.replacingOccurrences(of: #"\s(-f|--follow)\b"#, with: "", options: .regularExpression), "follows forever")
        }
        if matches(#"^(wscat|watch)\b"#) { return (indent + "timeout 10 " + command, "runs until someone stops it") }
        return nil
    }

    /// The risk of a fix, guessed from what it runs: deleting is destructive, any other change changes.
    var guessedRisk: (risk: String, because: String) {
        let text = body.joined(separator: "\n")
        let destructive = [
            #"\bvolume\s+rm\b"#, #"\brm\b"#, #"(?i)\bflush(db|all)\b"#, #"(?i)\bdelete\s+from\b"#,
            #"(?i)\bdrop\s+(table|database|index)\b"#,
            #"(?i)\btruncate\b"#, #"\bdown\s+-v\b"#,
        ]
        for pattern in destructive {
            if let r = text.range(of: pattern, options: .regularExpression) {
                return ("destructive", "`\(text[r])` deletes data")
            }
        }
        if kind == .manual { return ("safe", "a person does it") }
        let reading = #"^\s*(cat|grep|env|ls|echo|test|curl\s+-s\S*\s+\S+|docker\s+exec\s+\S+\s+(env|cat|ls))\b[^>]*$"#
        let commands = body.filter { !Self.isComment($0) && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        if kind == .sh, !commands.isEmpty,
            commands.allSatisfy({ line in
                line.split(separator: "|").allSatisfy { String($0).range(of: reading, options: .regularExpression) != nil }
            })
        {
            return ("safe", "it only reads")
        }
        return ("changes", "`\(commands.isEmpty ? "" : Self.firstLine(commands))` changes something")
    }
}
