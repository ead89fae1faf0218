import Foundation
import Yams

/// Reads the body of a step's kind key (and the sibling keys that kind takes).
enum StepActionReader {
    static func read(kind: String, body: Node, mapping m: inout NodeReader.Mapping, reader: inout NodeReader) -> StepAction? {
        m.used.insert(kind)
        switch kind {
        case "shell":
            guard let command = text(body, kind, &reader) else { return nil }
            let env = m.take("env").flatMap { reader.stringMap($0, what: "env") } ?? [:]
            for name in env.keys where !isEnvName(name) {
                if let node = m.keyNode("env") { reader.error(node, "env name `\(name)` must be letters, digits and _") }
            }
            return .shell(ShellAction(command: command, env: env))
        case "postgres":
            guard let sql = text(body, kind, &reader) else { return nil }
            let params = m.take("params").flatMap { reader.strings($0, what: "params") } ?? []
            var access = PostgresAction.Access.readOnly
            if let node = m.take("access") {
                guard let s = reader.string(node, what: "access") else { return nil }
                guard let a = PostgresAction.Access(rawValue: s) else {
                    reader.error(node, "access `\(s)` is not one of read-only, read-write")
                    return nil
                }
                access = a
            }
            let autocommit = m.take("autocommit").flatMap { reader.bool($0, what: "autocommit") } ?? false
            let placeholders = highestPlaceholder(in: sql)
            if placeholders > params.count {
                reader.error(
                    body, "the query uses $\(placeholders) but `params` gives \(params.count) value\(params.count == 1 ? "" : "s")")
            }
            return .postgres(PostgresAction(sql: sql, params: params, access: access, autocommit: autocommit))
        case "redis":
            let argv: [String]?
            if let s = body.scalar?.string {
                argv = s.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            } else {
                argv = reader.strings(body, what: "redis")
            }
            guard let argv, !argv.isEmpty else {
                reader.error(body, "redis needs a command, such as `INFO memory` or [GET, \"${key}\"]")
                return nil
            }
            return .redis(RedisAction(argv: argv))
        case "http":
            guard let url = text(body, kind, &reader) else { return nil }
            let method = m.take("method").flatMap { reader.string($0, what: "method") }?.uppercased() ?? "GET"
            if !["GET", "HEAD"].contains(method), let node = m.keyNode("method") {
                reader.error(node, "an http step is GET or HEAD; found \(method)")
            }
            let headers = m.take("headers").flatMap { reader.stringMap($0, what: "headers") } ?? [:]
            return .http(HTTPAction(method: method, url: url, headers: headers))
        case "tcp":
            guard let address = text(body, kind, &reader) else { return nil }
            let listening = m.take("listening").flatMap { reader.bool($0, what: "listening") } ?? false
            return .tcp(TCPAction(address: address, listening: listening))
        case "tls":
            guard let address = text(body, kind, &reader) else { return nil }
            let name = m.take("server_name").flatMap { reader.string($0, what: "server_name") }
            return .tls(TLSAction(address: address, serverName: name))
        case "websocket":
            guard let url = text(body, kind, &reader) else { return nil }
            let ping = m.take("ping").flatMap { reader.bool($0, what: "ping") } ?? false
            return .websocket(WebSocketAction(url: url, ping: ping))
        case "system":
            var sample = 200
            if let mapping = body.mapping {
                for (k, v) in mapping {
                    if k.scalar?.string == "sample", let s = reader.duration(v, what: "sample") {
                        sample = Int(s * 1000)
                    } else {
                        reader.error(k, "unknown key `\(k.scalar?.string ?? "?")` in system (known: sample)")
                    }
                }
            }
            return .system(SystemAction(sampleMilliseconds: sample))
        case "containers":
            let services = reader.strings(body, what: "containers")?.filter { !$0.isEmpty } ?? []
            guard !services.isEmpty else {
                reader.error(body, "containers needs Compose service names, such as [management, postgres, redis]")
                return nil
            }
            let project = m.take("project").flatMap { reader.string($0, what: "project") } ?? ""
            let logs = m.take("logs").flatMap { reader.int($0, what: "logs") } ?? 0
            if logs < 0 || logs > 1000, let node = m.keyNode("logs") { reader.error(node, "logs is a count of lines, 0 to 1000") }
            let stats = m.take("stats").flatMap { reader.bool($0, what: "stats") } ?? false
            return .containers(ContainersAction(services: services, project: project, logLines: logs, stats: stats))
        case "ask":
            guard let question = text(body, kind, &reader) else { return nil }
            let choices = m.take("choices").flatMap { reader.strings($0, what: "choices") } ?? []
            let into = m.take("into").flatMap { reader.string($0, what: "into") }
            let defaultChoice = m.take("default").flatMap { reader.string($0, what: "default") }
            if let defaultChoice, !choices.isEmpty, !choices.contains(defaultChoice), let node = m.keyNode("default") {
                reader.error(node, "default `\(defaultChoice)` is not one of the choices (\(choices.joined(separator: ", ")))")
            }
            return .ask(AskAction(question: question, choices: choices, variable: into ?? "", defaultChoice: defaultChoice))
        case "manual":
            guard let instruction = text(body, kind, &reader) else { return nil }
            return .manual(ManualAction(instruction: instruction))
        case "runbook":
            guard let id = text(body, kind, &reader) else { return nil }
            var mode = RunbookAction.Mode.include
            if let node = m.take("mode") {
                guard let s = reader.string(node, what: "mode"), let md = RunbookAction.Mode(rawValue: s) else {
                    reader.error(node, "mode must be include or handover")
                    return nil
                }
                mode = md
            }
            return .runbook(RunbookAction(id: id, mode: mode))
        case "sweep":
            guard let names = reader.strings(body, what: "sweep"), !names.isEmpty else {
                reader.error(body, "sweep needs a list of runbooks, such as [db-connection-failure, slow-response]")
                return nil
            }
            return .sweep(SweepAction(runbooks: names))
        default:
            return nil
        }
    }

    private static func text(_ node: Node, _ kind: String, _ reader: inout NodeReader) -> String? {
        guard let s = node.scalar?.string, !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            reader.error(node, "`\(kind)` needs text, found \(reader.describe(node))")
            return nil
        }
        return s
    }

    static func isEnvName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || ("A"..."Z").contains(first) || ("a"..."z").contains(first) else {
            return false
        }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    /// The highest `$N` in a query, outside quotes.
    static func highestPlaceholder(in sql: String) -> Int {
        var highest = 0
        var inQuote: Character?
        var chars = Array(sql)[...]
        while let c = chars.popFirst() {
            if let q = inQuote {
                if c == q { inQuote = nil }
                continue
            }
            if c == "'" || c == "\"" { inQuote = c; continue }
            if c == "$" {
                var digits = ""
                while let d = chars.first, d.isASCII, d.isNumber { digits.append(d); chars = chars.dropFirst() }
                if let n = Int(digits) { highest = max(highest, n) }
            }
        }
        return highest
    }
}
