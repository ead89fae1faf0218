import Fleet
import Foundation
import Probes
import RunbookKit

/// A runbook walked on hosts over ssh, one session a host through the one
/// stepping loop (FleetWalk), into the set-up's transcript: what `rbsh run
/// --hosts` and the alert receiver's runs over hosts both do.
public enum FleetRun {
    /// `decisions`: a person deciding once for all hosts (the shell); else each host's walk asks `host`.
    public static func walk(
        _ book: Runbook, hosts: [FleetHost], targets: Targets, recorder: SessionRecorder, session first: RunbookSession, forks: Int,
        keep: String?, host: any StepperHost, signals: SessionSignals, decisions: FleetDecisions? = nil,
        finished: (@Sendable (HostOutcome) -> Void)?
    ) throws -> FleetReport {
        let transport = try SSHTransport(persist: keep)
        let local = ProbeRunner(targets: targets)
        let once = OnceResults()
        let byName = Dictionary(hosts.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let interrupted = host.interruption()
        let walk = FleetWalk(
            hosts: hosts.map(\.name), forks: forks, recorder: recorder, stepperHost: host, session: { _ in first },
            connect: { name in
                guard let h = byName[name] else { return "not in the inventory" }
                return transport.connect(h, interrupted: interrupted)
            },
            runner: { name in
                HostStepRunner(host: byName[name] ?? FleetHost(name: name), transport: transport, local: local, once: once)
            },
            signal: signals.lastSignalName)
        walk.finished = finished
        walk.decisions = decisions
        let outcomes = walk.run()
        transport.close(hosts)
        return FleetReport(runbook: book.id, outcomes: outcomes)
    }

    /// For the alert receiver: `book` on the hosts `inventory` and `limit`
    /// select, unattended; its status, findings (each with its host) and recorder. A fix the config's
    /// approvals want approved waits up to `approvalWait` seconds for it, as on one host.
    public static func unattended(
        _ book: Runbook, inventory: String, limit: String?, setup: SessionSetup, session: RunbookSession,
        approvalWait: Double, interrupted: @escaping @Sendable () -> Bool
    ) throws -> (status: OutcomeStatus, findings: [Finding], recorder: SessionRecorder) {
        let selection = try FleetSelection.load(inventory, limit: limit, retrying: nil)
        let host = UnattendedHost(interrupted: interrupted)
        host.approvals = setup.approvalGate
        host.approvalWait = approvalWait
        let recorder = SessionRecorder(transcript: setup.transcript, presenter: nil)
        let report = try walk(
            book, hosts: selection.hosts, targets: setup.targets, recorder: recorder, session: session, forks: 20, keep: nil, host: host,
            signals: setup.signals, finished: nil)
        return (report.status, report.local + report.outcomes.flatMap(\.findings).filter { $0.state != .resolved }, recorder)
    }
}

/// The hosts a run over a fleet walks: the inventory's, through `--limit`,
/// and (`--retry-failed`) only those an earlier run did not find ok.
public struct FleetSelection {
    public var hosts: [FleetHost]

    public static func load(_ source: String, limit: String?, retrying: String?) throws -> FleetSelection {
        let inv = try Inventory.load(source)
        var names = try HostPattern(limit ?? "all").select(from: inv)
        if let retrying {
            let earlier: Transcript
            do { earlier = try Transcript.read(path: retrying) } catch { throw InventoryError("--retry-failed \(retrying): \(error)") }
            let hosts = TranscriptSummary(earlier).hosts
            let failed = Set(hosts.filter { $0.status != "ok" }.map(\.host))
            if hosts.isEmpty {
                throw InventoryError("--retry-failed \(retrying): that transcript is not of a run over hosts")
            }
            names = names.filter { failed.contains($0) }
            if names.isEmpty { throw InventoryError("no host failed in \(retrying): nothing to run again") }
        }
        guard !names.isEmpty else { throw InventoryError("no host of \(source) matches \(limit ?? "all")") }
        return FleetSelection(hosts: try names.map { name throws(InventoryError) in try inv.fleetHost(name) })
    }
}
