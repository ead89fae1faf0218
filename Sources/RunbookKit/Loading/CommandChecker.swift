import Foundation
import Yams

/// What a step's command says of itself: one that never ends by itself
/// (`tail -f`, `top`, `iostat 1`) would only ever time out; one that
/// changes something is a remediation's job, not a diagnostic's; a
/// `docker exec … psql` is SQL rbsh runs itself, through libpq.
enum CommandChecker {
    /// A pattern a shell command's segment is matched against, and what is said when it matches.
    struct Rule {
        var says: String
        /// Compiled once: a runbook of many steps is checked segment by segment against every rule.
        let regex: NSRegularExpression?

        init(pattern: String, says: String) {
            self.says = says
            regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
        }

        func matches(_ segment: String) -> Bool {
            regex?.firstMatch(in: segment, range: NSRange(segment.startIndex..., in: segment)) != nil
        }
    }

    static let neverEnding = [
        Rule(pattern: #"^tail\b.*\s(-[a-zA-Z]*[fF]\b|--follow)"#, says: "follows the file forever: `tail -n 200 FILE`"),
        Rule(pattern: #"^journalctl\b.*\s(-f\b|--follow)"#, says: "follows the journal forever: `journalctl -n 200 --no-pager`"),
        Rule(
            pattern: #"^(docker|docker-compose|kubectl)\b.*\slogs\b.*(\s-f\b|--follow)"#,
            says: "follows the log forever: `--tail 200` without `-f`"),
        Rule(pattern: #"^(htop|watch|wscat)\b"#, says: "runs until someone stops it"),
        Rule(pattern: #"^top\b(?!.*\s-[a-zA-Z]*b)"#, says: "runs until someone stops it: `top -b -n 1`"),
        Rule(
            pattern: #"^(iostat|vmstat|mpstat|pidstat|sar)\b(\s+-\S+)*\s+\d+\s*$"#, says: "samples forever: give a count (`iostat -x 1 3`)"),
        Rule(pattern: #"^ping\b(?!.*\s-[a-zA-Z]*c)"#, says: "pings forever: `ping -c 3 HOST`"),
    ]

    static let changing = [
        Rule(
            pattern: #"^(systemctl|service)\s+(\S+\s+)?(restart|stop|start|reload|kill|disable|enable)\b"#,
            says: "starts, stops or restarts a service"),
        Rule(
            pattern: #"^(docker-compose|docker\s+compose|docker)\b.*\s(restart|stop|start|kill|rm|rmi|down|up|prune)\b"#,
            says: "changes containers"),
        Rule(pattern: #"^(kill|pkill|killall)\b"#, says: "kills processes"),
        Rule(pattern: #"^(rm|truncate|shred|mkfs\S*|dd)\s"#, says: "deletes or overwrites files"),
        Rule(pattern: #"^redis-cli\b.*\s(flushall|flushdb|shutdown|config\s+set|del)\b"#, says: "changes Redis"),
        Rule(
            pattern: #"^psql\b.*\s-c\s*['"]?\s*(delete|update|insert|drop|truncate|alter|vacuum|reindex|create)\b"#,
            says: "changes the database"),
    ]

    static let viaDocker = Rule(pattern: #"^(docker|docker-compose|docker\s+compose)\s+exec\b.*\spsql\b"#, says: "")

    /// The command's pipeline and list segments, each without a leading `sudo`, `exec` or `timeout N`'s bound.
    /// Split as the shell splits them: a `;`, `|` or `&` inside quotes, or one of a redirection (`2>&1`,
    /// `&>`), splits nothing.
    static func segments(_ command: String) -> [(text: String, bounded: Bool)] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        var escaped = false
        var previous: Character?
        let characters = Array(command)
        for (i, c) in characters.enumerated() {
            defer { previous = c }
            if escaped {
                escaped = false
                current.append(c)
                continue
            }
            if c == "\\" && quote != "'" {
                escaped = true
                current.append(c)
                continue
            }
            if let q = quote {
                if c == q { quote = nil }
                current.append(c)
                continue
            }
            if c == "'" || c == "\"" {
                quote = c
                current.append(c)
                continue
            }
            let redirection = c == "&" && (previous == ">" || (i + 1 < characters.count && characters[i + 1] == ">"))
            if "\n;|&".contains(c) && !redirection {
                parts.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        return parts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { raw in
            var s = raw
            var bounded = false
            while let m = prefix?.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)), let r = Range(m.range, in: s) {
                if s.hasPrefix("timeout") { bounded = true }
                s.removeSubrange(r)
            }
            return (s, bounded)
        }
    }

    /// What runs a command rather than being it: `sudo`, `exec`, `nice`, `timeout N` (which bounds it).
    static let prefix = try? NSRegularExpression(pattern: #"^(sudo|exec|nice|timeout\s+[-\w.]+(\s+-\S+)*)\s+"#)

    static func check(_ step: Step, remediation: Bool, node: Node, reader: inout NodeReader) {
        switch step.action {
        case .shell(let a):
            for (segment, bounded) in segments(a.command) {
                if !bounded, let rule = neverEnding.first(where: { $0.matches(segment) }) {
                    reader.error(node, "`\(segment)` never ends by itself (it \(rule.says)); bound it, or give it a count")
                }
                if !remediation, let rule = changing.first(where: { $0.matches(segment) }) {
                    reader.error(node, "`\(segment)` \(rule.says): a diagnostic step only reads; make it a remediation, with what it fixes")
                }
                if viaDocker.matches(segment) {
                    reader.diagnostics.append(
                        Diagnostic(
                            reader.location(node),
                            "`\(segment.prefix(60))…` runs psql in a container: rbsh runs the SQL itself, through libpq, as a `postgres` step (a `sql` block)",
                            level: .warning))
                }
            }
        case .postgres(let a) where !remediation:
            let statements = a.sql.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            for s in statements
            where s.range(
                of: #"^(delete|update|insert|drop|truncate|alter|vacuum|reindex|create|grant|revoke|cluster)\b"#,
                options: [.regularExpression, .caseInsensitive]) != nil
            {
                reader.error(node, "`\(s.prefix(40))` changes the database: a diagnostic step only reads; make it a remediation")
            }
        case .redis(let a) where !remediation:
            let verb = a.argv.first?.uppercased() ?? ""
            if ["FLUSHALL", "FLUSHDB", "DEL", "SET", "SHUTDOWN", "EXPIRE"].contains(verb)
                || (verb == "CONFIG" && a.argv.dropFirst().first?.uppercased() == "SET")
            {
                reader.error(node, "`\(a.argv.joined(separator: " "))` changes Redis: a diagnostic step only reads; make it a remediation")
            }
        default:
            break
        }
    }
}
