import CommandOptions
import Foundation
import Probes
import RunbookKit
import Runs

/// Steps typed at the prompt (`sh`, `sql`, `check ...`), variables and targets.
extension ShellSession {
    func adHoc(_ action: StepAction, title: String) {
        guard !title.trimmingCharacters(in: .whitespaces).isEmpty, !title.hasSuffix(" ") else {
            return fail("nothing to run; `help` shows examples")
        }
        adHocCount += 1
        let step = Step(id: "adhoc-\(adHocCount)", title: title, action: action, timeout: 60)
        let pending = PendingStep(step: step, purpose: .adHoc, missing: [])
        recorder.record(.stepStarted(step: step.id, title: title, kind: action.kind, purpose: .adHoc, detail: action.summary))
        // Nothing runs that cannot be recorded.
        guard recorder.failure == nil else { return }
        let result = execution.run(pending, host: self)
        recorder.record(.stepEnded(step: step.id, purpose: .adHoc, result: result, findings: []))
        if result.status != .ok { lastFailed = true }
    }

    func check(_ rest: String) {
        let (what, arg) = split(rest)
        switch what {
        case "tcp": adHoc(.tcp(TCPAction(address: arg)), title: "tcp \(arg)")
        case "listen": adHoc(.tcp(TCPAction(address: arg, listening: true)), title: "who listens on \(arg)")
        case "system": adHoc(.system(SystemAction(sampleMilliseconds: 500)), title: "system")
        case "tls": adHoc(.tls(TLSAction(address: arg)), title: "tls \(arg)")
        case "ws": adHoc(.websocket(WebSocketAction(url: arg, ping: true)), title: "websocket \(arg)")
        default: fail("check what? system | tcp HOST:PORT | listen PORT | tls HOST:PORT | ws URL")
        }
    }

    func set(_ rest: String) {
        let parts = rest.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[0].isEmpty else { return fail("set NAME=VALUE") }
        presets[parts[0]] = (parts[1], .operatorInput)
        recorder.record(.variableSet(name: parts[0], value: parts[1]))
        console.line(style.dim("\(parts[0]) = \(redactor.redact(parts[1])) (used by runbooks started from now on)"))
    }

    func showVars() {
        var all: [String: String] = [:]
        if let s = session { for (k, v) in s.vars { all[k] = v.text } }
        for (k, v) in presets { all[k] = v.value }
        if all.isEmpty {
            console.line("no variables")
            return
        }
        for k in all.keys.sorted() { console.line("\(k) = \(redactor.redact(all[k] ?? ""))") }
    }

    func target(_ rest: String) {
        let (name, url) = split(rest)
        if name.isEmpty {
            for (k, v) in targets.redacted.sorted(by: { $0.key < $1.key }) {
                console.line("\(k.padding(toLength: 9, withPad: " ", startingAt: 0)) \(v)")
            }
            return
        }
        guard ["postgres", "redis", "api"].contains(name) else { return fail("targets are postgres, redis and api") }
        guard !url.isEmpty else {
            console.line(targets.redacted[name] ?? "")
            return
        }
        if let problem = TargetCheck.problem(name, url) { return fail("\(name) \(redactor.redact(problem)); the target is unchanged") }
        switch name {
        case "postgres": targets.postgres = url
        case "redis": targets.redis = url
        default: targets.api = url
        }
        for s in targets.secrets { redactor.add(secret: s) }
        execution = StepExecution(runner: ProbeRunner(targets: targets), recorder: recorder, signal: { Interrupts.lastSignalName })
        stepper?.execution = execution
        recorder.record(.targetChanged(name: name, url: url))
        console.line("\(name) → \(targets.redacted[name] ?? "")")
    }
}
