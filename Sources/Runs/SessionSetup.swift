import Foundation
import IncidentMemory
import Probes
import RunbookKit

/// What every command that records a session sets up the same way: the
/// redactor, the transcript with its header and `session_start`, the
/// recorder, and the stepper that walks a runbook against the targets.
public struct SessionSetup {
    public let targets: Targets
    public let redactor: Redactor
    public let transcript: TranscriptWriter
    /// The signals of the process the session runs in, as its owner reports them.
    public let signals: SessionSignals
    /// How the session is driven (`session_start`'s mode).
    public let mode: String
    /// The incident memory: what past sessions say of this one's causes; this one is added at its end.
    public let memory: SessionMemory?
    /// The transcripts this session continues, as recall leaves them out.
    public let continues: [String]
    /// Which fixes need other operators' approval, and where approvals come from (nil: none do).
    public let approvals: ApprovalsConfig?

    /// Opens the transcript at `path`, or (nil) a new one named after
    /// `defaultName` under transcripts/, and records the session's start;
    /// `continuing` the walk it goes on with, `alert` the alert that started it;
    /// `signer` signs its seal; `approvals` say which fixes wait for others' approval.
    public init(
        command: String, runbook: String?, targets: Targets, secrets: [String], transcript path: String?, defaultName: String,
        start: SessionStart, signals: SessionSignals, continuing: ResumedWalk? = nil, alert: AlertOrigin? = nil,
        memory: SessionMemory? = nil, signer: (any TranscriptSigner)? = nil, approvals: ApprovalsConfig? = nil
    ) throws(TranscriptError) {
        self.targets = targets
        self.approvals = approvals
        self.signals = signals
        self.mode = start.mode
        self.memory = memory
        continues = continuing.map { [$0.earlier] } ?? []
        let redactor = Redactor(secrets: secrets)
        self.redactor = redactor
        var header = TranscriptHeader.current(command: command, runbook: runbook, targets: targets, rbshVersion: Release.version)
        header.continues = continuing?.earlier
        header.continuesSHA256 = continuing?.digest
        header.continuesLines = continuing?.verified?.lines
        header.continuesLast = continuing?.verified?.last
        header.alert = alert.map {
            AlertOrigin(
                groupKey: redactor.redact($0.groupKey), status: $0.status, labels: $0.labels.mapValues(redactor.redact),
                annotations: $0.annotations.mapValues(redactor.redact))
        }
        if let path {
            transcript = try TranscriptWriter(path: path, redactor: redactor, header: header)
        } else {
            transcript = try TranscriptWriter.unique(runbook: defaultName, redactor: redactor, header: header)
        }
        transcript.signer = signer
        try transcript.write(.sessionStarted(start))
    }

    /// A session of `book` whose included runbooks come from `catalogue`;
    /// the fixes the approvals config names wait for approval.
    public func session(
        _ book: Runbook, policy: RemediationPolicy, answers: [String: (value: String, by: Decider)],
        catalogue: RunbookCatalogue
    ) -> RunbookSession {
        var policy = policy
        if policy.approvals == nil { policy.approvals = approvals?.policy }
        return RunbookSession(
            runbook: book, policy: policy, targets: targets.scopeValues, answers: answers,
            resolve: { try? catalogue.resolve($0) })
    }

    /// Where this session's approval requests go and approvals come from.
    public var approvalGate: (any ApprovalGate)? { approvals?.gate(targets: targets) }

    /// The stepping loop for a session, recording into this transcript.
    public func stepper(_ session: RunbookSession, presenter: (any SessionPresenter)?, host: any StepperHost, concurrent: Bool) -> Stepper {
        let recorder = SessionRecorder(transcript: transcript, presenter: presenter)
        let execution = StepExecution(runner: ProbeRunner(targets: targets), recorder: recorder, signal: signals.lastSignalName)
        return Stepper(session: session, execution: execution, host: host, concurrent: concurrent)
    }

    /// Records the session's end (with the signal that ended it, if one
    /// did) and adds the transcript to the incident memory; the first write
    /// that failed, if any, or why the memory did not take it, as a one-line error.
    public func end(_ status: OutcomeStatus, reason: String? = nil, recorder: SessionRecorder) -> String? {
        let sig = signals.ending()
        recorder.endSession(status, reason: sig.map(SessionSignals.reason) ?? reason, signal: sig.map(SessionSignals.name))
        let path = recorder.transcript?.path ?? transcript.path
        if let failure = recorder.failure { return "the transcript \(path) is incomplete: \(failure)" }
        return memory?.remember(transcript: path, mode: mode)
    }

    /// What past sessions say of causes, leaving out this session's own transcripts.
    public var recall: @Sendable ([String]) -> [String: CauseRecall] {
        let (memory, own) = (memory, [transcript.path] + continues)
        return { causes in memory?.recall(causes, excluding: own) ?? [:] }
    }

    /// Records, for a run that cannot start, why; nothing else happens in it.
    public func refuse(_ why: String) -> String? {
        end(.unknown, reason: why, recorder: SessionRecorder(transcript: transcript, presenter: nil))
    }
}

/// Keeps every event, for comparing a run with a recording or a case.
public final class RecordingPresenter: SessionPresenter, @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [TranscriptEvent] = []
    public init() {}
    public var events: [TranscriptEvent] { lock.withLock { kept } }
    public func present(_ event: TranscriptEvent) { lock.withLock { kept.append(event) } }
    public func output(_ text: String, stream: Int32) {}
    public func notice(_ text: String) {}
}
