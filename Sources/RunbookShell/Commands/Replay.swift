@preconcurrency import Foundation
import ArgumentParser
import CommandOptions
import Probes
import RunbookKit
import Runs

extension RbshCommand {
    /// `rbsh replay TRANSCRIPT`: the session as it happened, or re-run and compared.
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Show a recorded session; --execute re-runs it with the recorded answers and reports divergences.",
            discussion: "With --execute, exit 0 when nothing diverges, 1 when something does, 3 when it cannot run.")

        @Argument(help: "A transcript (.jsonl).") var transcript: String
        @Flag(help: "Show it at the recorded pace (pauses capped at 2 s).") var realtime = false
        @Flag(help: "Re-run it against the current targets and compare.") var execute = false
        @Option(help: ArgumentHelp("Highest risk of a recorded fix that may run again.", valueName: "safe|changes|destructive"))
        var allow: Risk?
        @Option(name: .customLong("transcript-out"), help: ArgumentHelp("Where the re-run's own transcript goes.", valueName: "path"))
        var transcriptOut: String?
        @OptionGroup var targets: TargetOptions

        func run() throws {
            let (t, _, _) = try RbshCommand.readTranscript(transcript)
            guard execute else { return show(t) }
            try reexecute(t)
        }

        private func show(_ t: Transcript) {
            guard realtime else {
                print(TranscriptRendering.timeline(t), terminator: "")
                return
            }
            var last = 0.0
            let lines = TranscriptRendering.timeline(t).split(separator: "\n", omittingEmptySubsequences: false)
            print(lines.prefix(3).joined(separator: "\n"))
            for (e, line) in zip(t.entries, lines.dropFirst(3)) {
                let at = e.monoMilliseconds ?? last
                usleep(UInt32(min(max(0, at - last), 2000) * 1000))
                last = at
                print(line)
                fflush(stdout)
            }
        }

        private func reexecute(_ t: Transcript) throws {
            Interrupts.install()
            if t.entries.contains(where: { $0.event.host != nil }) {
                throw fail(
                    "\(transcript) is a run over hosts; run it again with `rbsh run RUNBOOK --hosts INVENTORY` "
                        + "(`--retry-failed \(transcript)` for the hosts that were not ok)")
            }
            let recorded = RecordedRun(t)
            guard let id = recorded.runbook else {
                throw fail("\(transcript) ran no runbook; only its ad-hoc steps, which replay does not re-run")
            }
            let resolved: ResolvedTargets
            do { resolved = try targets.resolve() } catch { throw fail("\(error)", code: 64) }
            let catalogue = RunbookCatalogue(directories: targets.runbookDirectories)
            let found: RecordedRunbook
            do { found = try RecordedRunbook.find(id, in: t.events, catalogue: catalogue) } catch {
                throw fail("cannot re-run \(id): \(error.description)")
            }
            let book = found.book
            if let note = found.note { print("note: \(note)") }
            let setup: SessionSetup
            do {
                setup = try SessionSetup(
                    command: "replay", runbook: id, targets: resolved.targets, secrets: resolved.secrets,
                    transcript: transcriptOut, defaultName: "replay-\(id)",
                    start: SessionStart(mode: "replay", allow: allow?.rawValue ?? "none", replaying: transcript),
                    signals: Interrupts.sessionSignals, approvals: resolved.config.approvals)
            } catch { throw fail("\(error)") }

            var answers: [String: (value: String, by: Decider)] = [:]
            for (k, v) in recorded.answers { answers[k] = (v, .replay) }
            let mark = Interrupts.mark
            let host = UnattendedHost(interrupted: { Interrupts.since(mark) }, ending: { Interrupts.endingSignal != nil })
            let allow = self.allow
            host.decide = { c in
                guard let d = recorded.decisions[c.remediation], d.confirmed else {
                    return (false, .replay, "declined when recorded")
                }
                guard let allow, c.risk <= allow else {
                    return (false, .policy, "recorded as confirmed; needs --allow \(c.risk.rawValue) to run again")
                }
                return (true, .replay, "confirmed when recorded by \(d.by.rawValue)")
            }
            let recording = RecordingPresenter()
            let stepper = setup.stepper(
                setup.session(book, policy: .person, answers: answers, catalogue: catalogue), presenter: recording, host: host,
                concurrent: true)
            let status = stepper.run()
            let failure = setup.end(status, recorder: stepper.recorder)
            let divergences = recorded.divergences(from: recording.events)
            let path = setup.transcript.path
            print("replayed \(id) from \(transcript): \(recorded.steps.count) recorded steps, now \(status.rawValue)")
            for d in divergences { print("  DIVERGES \(d)") }
            print(divergences.isEmpty ? "no divergence" : "\(divergences.count) divergence\(divergences.count == 1 ? "" : "s")")
            print("transcript: \(path)")
            if let failure { try? FileHandle.standardError.write(contentsOf: Data("rbsh: \(failure)\n".utf8)) }
            throw ExitCode(divergences.isEmpty ? 0 : 1)
        }
    }
}
