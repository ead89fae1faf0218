import CommandOptions
import Fleet
import Foundation
import Probes
import RunbookKit
import Runs

/// Walking runbooks on many hosts from the shell: `hosts INVENTORY
/// [PATTERN]`, then `start RUNBOOK` walks it on every host at once over
/// ssh. Questions are asked once for all hosts, and each remediation once
/// with the hosts it would run on: all of them, some picked, or none.
extension ShellSession {
    func hosts(_ rest: String) {
        let words = rest.split(separator: " ", maxSplits: 1).map(String.init)
        guard let first = words.first else {
            guard let fleet else { return console.line("here (this machine); `hosts INVENTORY [PATTERN]` walks runbooks on hosts") }
            return showHosts(fleet.selection, inventory: fleet.inventory, pattern: fleet.pattern)
        }
        if first == "none" {
            fleet = nil
            lastFleetReport = nil
            recorder.record(.targetChanged(name: "hosts", url: "none"))
            return console.line("runbooks run here again")
        }
        let pattern = words.count > 1 ? words[1] : nil
        do {
            let selection = try FleetSelection.load((first as NSString).expandingTildeInPath, limit: pattern, retrying: nil)
            fleet = (first, pattern, selection)
            lastFleetReport = nil
            stepper = nil
            recorder.record(.targetChanged(name: "hosts", url: "\(first)\(pattern.map { " \($0)" } ?? "")"))
            showHosts(selection, inventory: first, pattern: pattern)
            console.line(style.dim("`start RUNBOOK` walks it on these hosts; `hosts none` goes back to here"))
        } catch {
            fail("\(error)")
        }
    }

    private func showHosts(_ s: FleetSelection, inventory: String, pattern: String?) {
        console.line("\(s.hosts.count) host\(s.hosts.count == 1 ? "" : "s") of \(inventory)\(pattern.map { " (\($0))" } ?? ""):")
        for h in s.hosts {
            var how = h.address
            if let p = h.port { how += ":\(p)" }
            if let u = h.user { how = "\(u)@" + how }
            console.line("  \(style.bold(h.name))  \(style.dim(how))")
        }
    }

    func startOnHosts(_ name: String) {
        guard let fleet else { return start(name) }
        guard !name.isEmpty else { return fail("start which runbook? `list` shows them") }
        let book: Runbook
        do { book = try catalogue.resolve(name) } catch { return fail(error.description) }
        let hosts = fleet.selection.hosts
        console.line(style.bold(book.id) + " — \(book.title)")
        console.line(style.dim("on \(hosts.count) host\(hosts.count == 1 ? "" : "s"), \(min(20, hosts.count)) at once"))
        let catalogue = self.catalogue
        let first = RunbookSession(
            runbook: book, policy: policy, targets: targets.scopeValues, answers: presets, resolve: { try? catalogue.resolve($0) })
        let shown = FleetPresenter(console: console, style: style, redactor: redactor, total: hosts.count)
        // Ctrl-C stops the step running on every host, and the walk on all of them.
        let mark = Interrupts.mark
        let decisions = FleetDecisions(base: self, stopped: { Interrupts.since(mark) }) { [self] c, hosts in decideOnHosts(c, hosts: hosts)
        }
        let report: FleetReport
        do {
            report = try FleetRun.walk(
                book, hosts: hosts, targets: targets, recorder: recorder, session: first, forks: 20, keep: nil, host: self,
                signals: Interrupts.sessionSignals, decisions: decisions, finished: { shown.hostEnded($0) })
        } catch {
            return fail("\(error)")
        }
        lastFleetReport = report
        stepper = nil
        shown.summary(report, status: report.status, transcript: transcriptPath)
    }

    /// A remediation for some hosts, asked once: all, some picked, or none.
    func decideOnHosts(_ c: Confirmation, hosts unordered: [String]) -> [String: (confirmed: Bool, by: Decider, reason: String?)] {
        let order = fleet?.selection.hosts.map(\.name) ?? []
        let hosts = unordered.sorted { (order.firstIndex(of: $0) ?? .max) < (order.firstIndex(of: $1) ?? .max) }
        func all(_ yes: Bool, _ reason: String?) -> [String: (confirmed: Bool, by: Decider, reason: String?)] {
            Dictionary(uniqueKeysWithValues: hosts.map { ($0, (yes, Decider.operatorInput, reason)) })
        }
        console.line("")
        for line in lines.remediationCard(c, target: nil, hosts: hosts, valuesFrom: unordered.first) { console.line(line) }
        if let word = c.word {
            console.line("This loses data. Type " + style.bold(word) + " to run it on every host listed; anything else declines.")
            guard let typed = readAnswer("> ") else { return all(false, "no answer") }
            return typed == word ? all(true, nil) : all(false, "the word typed did not match")
        }
        guard let answer = readAnswer("Run it on all \(hosts.count)? [y/N/pick] ")?.lowercased() else { return all(false, "no answer") }
        if answer == "y" || answer == "yes" { return all(true, nil) }
        guard answer == "pick" || answer == "p" else { return all(false, "declined") }
        guard let picked = readAnswer("Which hosts (names, space-separated)? ") else { return all(false, "no answer") }
        let names = Set(picked.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init))
        for n in names where !hosts.contains(n) { console.line(style.yellow("note: ") + "`\(n)` is not one of the hosts listed; left out") }
        var out = all(false, "not picked")
        for h in hosts where names.contains(h) { out[h] = (true, .operatorInput, nil) }
        return out
    }

    func showFleetFindings() {
        guard let report = lastFleetReport else { return console.line("no findings yet; `start RUNBOOK` walks one on the hosts") }
        for f in report.local { console.line(lines.finding(f, qualifier: " (here)")) }
        for (f, hosts) in report.grouped { console.line(lines.finding(f, onHosts: hosts, of: report.outcomes.count)) }
        if report.local.isEmpty, report.grouped.isEmpty { console.line("no findings") }
    }
}
