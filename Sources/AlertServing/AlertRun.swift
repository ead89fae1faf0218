import AlertReceiving
import Clients
import Foundation
import IncidentMemory
import Logging
import RunbookKit
import Runs

/// One run an alert started: the runbook walked unattended against the
/// targets, its transcript (the alert in its header), a Markdown postmortem
/// draft beside it, and a short summary POSTed where `serve.notify` says;
/// the run goes into the incident memory, and its causes say what past sessions found.
struct AlertRun: Sendable {
    let targets: Targets
    let secrets: [String]
    /// The runbooks, read at start and again on SIGHUP: a run does not parse them.
    let catalogue: CatalogueBox
    let notify: String?
    let logger: Logger
    let memory: SessionMemory?
    /// Signs each run's seal (the config's `signing:`).
    let signer: (any TranscriptSigner)?
    /// The config's `approvals:`: a rule's `allow` says yes for nobody, the approvals still come from people.
    var approvals: ApprovalsConfig?
    /// How long a run waits for them, holding its place in the queue.
    static let approvalWait: Double = 5 * 60

    func callAsFunction(_ job: AlertRunQueue.Job, stop: @escaping @Sendable () -> Bool) -> OutcomeStatus {
        let catalogue = self.catalogue.current
        let start = SessionStart(mode: "alert", allow: job.allow?.rawValue ?? "none")
        // Recorded all the same when nothing can run: the transcript says why.
        func refuse(_ why: String, targets: Targets) -> OutcomeStatus {
            if let setup = try? SessionSetup(
                command: "serve", runbook: job.runbook, targets: targets, secrets: secrets, transcript: job.transcript,
                defaultName: job.runbook, start: start, signals: .none)
            {
                _ = setup.refuse(why)
            }
            logger.error("the run cannot start", metadata: ["run": "\(job.id)", "runbook": "\(job.runbook)", "why": "\(why)"])
            return .unknown
        }
        let plan: AlertRunPlan
        do { plan = try AlertRunPlan(job: job, base: targets) } catch { return refuse(error.description, targets: targets) }
        let book: Runbook
        do { book = try catalogue.resolve(plan.runbook) } catch {
            return refuse("runbook \(plan.runbook): \(error.description)", targets: plan.targets)
        }
        let setup: SessionSetup
        do {
            setup = try SessionSetup(
                command: "serve", runbook: book.id, targets: plan.targets, secrets: secrets, transcript: job.transcript,
                defaultName: book.id, start: start, signals: .none, alert: plan.origin, memory: memory,
                signer: signer, approvals: approvals)
        } catch {
            logger.error("the transcript cannot be written", metadata: ["run": "\(job.id)", "error": "\(error)"])
            return .unknown
        }
        let session = setup.session(
            book, policy: RemediationPolicy(mode: .unattended(allow: plan.allow)), answers: plan.presets, catalogue: catalogue)
        var status: OutcomeStatus
        let findings: [Finding]
        let recorder: SessionRecorder
        if let inventory = plan.hosts {
            // On the rule's hosts over ssh.
            do {
                (status, findings, recorder) = try FleetRun.unattended(
                    book, inventory: inventory, limit: plan.limit, setup: setup, session: session, approvalWait: Self.approvalWait,
                    interrupted: stop)
            } catch {
                logger.error("the run cannot start", metadata: ["run": "\(job.id)", "hosts": "\(inventory)", "why": "\(error)"])
                _ = setup.refuse("hosts \(inventory): \(error)")
                return .unknown
            }
        } else {
            let host = UnattendedHost(interrupted: stop)
            host.approvals = setup.approvalGate
            host.approvalWait = Self.approvalWait
            let stepper = setup.stepper(session, presenter: nil, host: host, concurrent: true)
            status = stepper.run()
            findings = stepper.session.findings
            recorder = stepper.recorder
        }
        if stop() { status = max(status, .unknown) }
        if let problem = setup.end(status, reason: stop() ? "rbsh serve stopped" : nil, recorder: recorder) {
            logger.warning("\(problem)", metadata: ["run": "\(job.id)"])
        }
        let markdown = (job.transcript as NSString).deletingPathExtension + ".md"
        if let t = try? Transcript.read(path: job.transcript) {
            try? TranscriptRendering.markdown(t, seenBefore: memory?.seenBefore(t) ?? []).write(
                toFile: markdown, atomically: true, encoding: .utf8)
        }
        if let notify {
            let names = findings.map { PastSession.name(of: $0, walked: book.id) }
            let said = setup.recall(names)
            post(notify, job: job, status: status, findings: findings, redactor: setup.redactor) {
                said[PastSession.name(of: $0, walked: book.id)]
            }
        }
        return status
    }

    /// `{"run", "runbook", "status", "group_key", "transcript", "findings": [top 5]}` to `serve.notify`.
    private func post(
        _ url: String, job: AlertRunQueue.Job, status: OutcomeStatus, findings: [Finding], redactor: Redactor,
        recall: (Finding) -> CauseRecall?
    ) {
        struct Summary: Encodable {
            struct Line: Encodable {
                var id: String
                var severity: String
                var message: String
                /// The host it was found on, for a rule with `hosts`.
                var host: String?
                /// What past sessions say of it (the incident memory).
                var recall: CauseRecall?
            }
            var run: String
            var runbook: String
            var status: String
            var groupKey: String
            var transcript: String
            var findings: [Line]
            enum CodingKeys: String, CodingKey {
                case run, runbook, status, transcript, findings
                case groupKey = "group_key"
            }
        }
        let top = findings.filter { $0.state == .open && $0.severity > .info }.prefix(5)
        let summary = Summary(
            run: job.id, runbook: job.runbook, status: status.rawValue, groupKey: job.groupKey, transcript: job.transcript,
            findings: top.map {
                .init(id: $0.id, severity: $0.level, message: redactor.redact($0.message), host: $0.host, recall: recall($0))
            })
        guard let body = try? JSONEncoder().encode(summary) else { return }
        do {
            _ = try HTTPClient.request(
                method: "POST", url: url, headers: ["Content-Type": "application/json"], body: Array(body), timeout: 5)
        } catch {
            logger.warning("the notify URL did not take the summary", metadata: ["run": "\(job.id)", "error": "\(error)"])
        }
    }
}

/// The runbooks in force, swapped whole when SIGHUP reloads them.
final class CatalogueBox: @unchecked Sendable {
    private let lock = NSLock()
    private var loaded: RunbookCatalogue
    let directories: [String]
    init(directories: [String]) {
        self.directories = directories
        loaded = RunbookCatalogue(directories: directories)
    }
    var current: RunbookCatalogue { lock.withLock { loaded } }
    func reload() {
        let fresh = RunbookCatalogue(directories: directories)
        lock.withLock { loaded = fresh }
    }
}
