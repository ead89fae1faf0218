import Foundation

extension StepAction {
    /// The action with every `${name}` filled in. A shell command's text is
    /// never touched: its values arrive through `env`.
    public func rendered(in scope: some ValueScope) -> (action: StepAction, missing: [String]) {
        var missing: [String] = []
        func r(_ s: String) -> String {
            let out = Template.render(s, in: scope)
            missing += out.missing
            return out.text
        }
        let action: StepAction
        switch self {
        case .shell(var a):
            a.env = a.env.mapValues(r)
            action = .shell(a)
        case .postgres(var a):
            a.params = a.params.map(r)
            action = .postgres(a)
        case .redis(var a):
            a.argv = a.argv.map(r)
            action = .redis(a)
        case .http(var a):
            a.url = r(a.url)
            a.headers = a.headers.mapValues(r)
            action = .http(a)
        case .tcp(var a):
            a.address = r(a.address)
            action = .tcp(a)
        case .tls(var a):
            a.address = r(a.address)
            a.serverName = a.serverName.map(r)
            action = .tls(a)
        case .websocket(var a):
            a.url = r(a.url)
            action = .websocket(a)
        case .ask(var a):
            a.question = r(a.question)
            action = .ask(a)
        case .manual(var a):
            a.instruction = r(a.instruction)
            action = .manual(a)
        case .containers(var a):
            a.services = a.services.map(r)
            a.project = r(a.project)
            action = .containers(a)
        case .system, .runbook, .sweep:
            action = self
        }
        return (action, missing)
    }

    /// Every text `rendered` fills in, for lint.
    public var templatedTexts: [String] {
        switch self {
        case .shell(let a): return Array(a.env.values)
        case .postgres(let a): return a.params
        case .redis(let a): return a.argv
        case .http(let a): return [a.url] + Array(a.headers.values)
        case .tcp(let a): return [a.address]
        case .tls(let a): return [a.address] + (a.serverName.map { [$0] } ?? [])
        case .websocket(let a): return [a.url]
        case .ask(let a): return [a.question]
        case .manual(let a): return [a.instruction]
        case .containers(let a): return a.services + [a.project]
        case .system, .runbook, .sweep: return []
        }
    }

    /// The exact thing that runs, as shown before a confirmation and in transcripts.
    public var summary: String {
        switch self {
        case .shell(let a):
            let env = a.env.keys.sorted().map { "\($0)=\(a.env[$0] ?? "")" }.joined(separator: " ")
            return env.isEmpty ? a.command : "\(env) \(a.command)"
        case .postgres(let a):
            var s = a.sql.trimmingCharacters(in: .whitespacesAndNewlines)
            if !a.params.isEmpty {
                s += "  -- " + a.params.enumerated().map { "$\($0.offset + 1)=\($0.element)" }.joined(separator: ", ")
            }
            return s
        case .redis(let a): return a.argv.joined(separator: " ")
        case .http(let a): return "\(a.method) \(a.url)"
        case .tcp(let a): return a.listening ? "listening on port \(a.address)" : "connect \(a.address)"
        case .tls(let a): return "TLS handshake with \(a.address)"
        case .websocket(let a): return "WebSocket upgrade \(a.url)"
        case .system: return "read /proc: CPU, memory, swap, disks, load"
        case .containers(let a):
            let project = a.project.isEmpty ? "" : " of project \(a.project)"
            let extra = (a.stats ? ", memory" : "") + (a.logLines > 0 ? ", last \(a.logLines) log lines" : "")
            return "read the Docker engine: the containers of \(a.services.joined(separator: ", "))\(project)\(extra)"
        case .ask(let a): return a.question
        case .manual(let a): return a.instruction
        case .runbook(let a): return "\(a.mode.rawValue) runbook \(a.id)"
        case .sweep(let a): return "the diagnostics of \(a.runbooks.joined(separator: ", "))"
        }
    }
}
