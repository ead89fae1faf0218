import ArgumentParser
import Foundation
import RunbookKit
import Runs

extension RbshCommand.Run {
    /// `rbsh run RUNBOOK --hosts INVENTORY`: the runbook on each host over
    /// ssh, at most `--forks` at once; findings by host, the worst decides.
    func runFleet(
        _ book: Runbook, inventory: String, limit: String?, setup: SessionSetup, targets runTargets: Targets, allow: Risk?,
        presets: [String: (value: String, by: Decider)], catalogue: RunbookCatalogue, console: Console, style: Style
    ) throws -> Never {
        let selection: FleetSelection
        do {
            selection = try FleetSelection.load(inventory, limit: limit, retrying: retryFailed)
        } catch {
            let failure = setup.end(.unknown, reason: "\(error)", recorder: SessionRecorder(transcript: setup.transcript, presenter: nil))
            if let failure { console.error("rbsh: \(failure)") }
            throw fail("\(error)", code: 64)
        }
        let presenter =
            format == .text ? FleetPresenter(console: console, style: style, redactor: setup.redactor, total: selection.hosts.count) : nil
        if format == .text {
            let t = runTargets.redacted
            console.line(style.bold(book.id) + " — \(book.title)")
            console.line(
                style.dim(
                    "on \(selection.hosts.count) host\(selection.hosts.count == 1 ? "" : "s") of \(inventory)"
                        + (limit.map { " (--limit \($0))" } ?? "") + ", \(min(forks, selection.hosts.count)) at once"))
            console.line(style.dim("from here: postgres \(t["postgres"] ?? "") · redis \(t["redis"] ?? "") · api \(t["api"] ?? "")"))
        }
        let mark = Interrupts.mark
        let host = UnattendedHost(
            notice: { presenter?.notice($0) }, interrupted: { Interrupts.since(mark) }, ending: { Interrupts.endingSignal != nil })
        host.approvals = setup.approvalGate
        host.approvalWait = DurationText.seconds(approvalWait) ?? 0
        let policy = RemediationPolicy(mode: .unattended(allow: allow), dryRun: dryRun)
        let recorder = SessionRecorder(transcript: setup.transcript, presenter: presenter)
        let report: FleetReport
        do {
            report = try FleetRun.walk(
                book, hosts: selection.hosts, targets: setup.targets, recorder: recorder,
                session: setup.session(book, policy: policy, answers: presets, catalogue: catalogue), forks: forks, keep: keepConnections,
                host: host, signals: setup.signals, finished: { presenter?.hostEnded($0) })
        } catch {
            throw fail("\(error)")
        }
        var status = report.status
        if Interrupts.since(mark) { status = max(status, .unknown) }
        let failure = setup.end(status, reason: Interrupts.since(mark) ? "interrupted" : nil, recorder: recorder)
        if let broken = recorder.failure {
            console.error("rbsh: \(broken); stopped: nothing runs unrecorded (what was recorded is in \(setup.transcript.path))")
            throw ExitCode(3)
        }
        let path = setup.transcript.path
        switch format {
        case .text: presenter?.summary(report, status: status, transcript: path)
        case .json: console.line(report.json(status: status, transcript: path, redactor: setup.redactor))
        }
        if let failure { console.error("rbsh: \(failure)") }
        if let sig = Interrupts.endingSignal {
            console.error("rbsh: \(Interrupts.reason(sig)); stopped, the transcript says where")
            throw ExitCode(128 + sig)
        }
        throw ExitCode(status.exitCode)
    }
}
