import Foundation
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

    /// Opens the transcript at `path`, or (nil) a new one named after
    /// `defaultName` under transcripts/, and records the session's start;
    /// `continuing` the walk it goes on with, `alert` the alert that started it.
    public init(
        command: String, runbook: String?, targets: Targets, secrets: [String], transcript path: String?, defaultName: String,
        start: SessionStart, signals: SessionSignals, continuing: ResumedWalk? = nil, alert: AlertOrigin? = nil
    ) throws(TranscriptError) {
        self.targets = targets
        self.signals = signals
        let redactor = Redactor(secrets: secrets)
        self.redactor = redactor
        var header = TranscriptHeader.current(command: command, runbook: runbook, targets: targets, rbshVersion: Release.version)
        header.continues = continuing?.earlier
        header.continuesSHA256 = continuing?.digest
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
        try transcript.write(.sessionStarted(start))
    }

    /// A session of `book` whose included runbooks come from `catalogue`.
    public func session(
        _ book: Runbook, policy: RemediationPolicy, answers: [String: (value: String, by: Decider)],
        catalogue: RunbookCatalogue
    ) -> RunbookSession {
        RunbookSession(
            runbook: book, policy: policy, targets: targets.scopeValues, answers: answers,
            resolve: { try? catalogue.resolve($0) })
    }

    /// The stepping loop for a session, recording into this transcript.
    public func stepper(_ session: RunbookSession, presenter: (any SessionPresenter)?, host: any StepperHost, concurrent: Bool) -> Stepper {
        let recorder = SessionRecorder(transcript: transcript, presenter: presenter)
        let execution = StepExecution(runner: ProbeRunner(targets: targets), recorder: recorder, signal: signals.lastSignalName)
        return Stepper(session: session, execution: execution, host: host, concurrent: concurrent)
    }

    /// Records the session's end (with the signal that ended it, if one
    /// did); the first write that failed, if any, as a one-line error.
    public func end(_ status: OutcomeStatus, reason: String? = nil, recorder: SessionRecorder) -> String? {
        let sig = signals.ending()
        recorder.endSession(status, reason: sig.map(SessionSignals.reason) ?? reason, signal: sig.map(SessionSignals.name))
        return recorder.failure.map { "the transcript \(recorder.transcript?.path ?? transcript.path) is incomplete: \($0)" }
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
