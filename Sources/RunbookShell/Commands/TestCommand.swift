import ArgumentParser
import CommandOptions
import Foundation
import Lab
import Probes
import RunbookKit
import Runs

extension RbshCommand {
    /// `rbsh test [RUNBOOK...]`: each runbook's regression cases, against the lab.
    struct TestCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test", abstract: "Run runbooks' regression cases (runbooks/tests/RUNBOOK.yaml) against the lab.")

        @Argument(help: "Runbook ids (default: every runbook with cases).") var runbooks: [String] = []
        @OptionGroup var targets: TargetOptions

        func run() throws {
            guard let lab = LabState.load() else { throw fail("the lab is not up; `rbsh lab up` first") }
            let catalogue = RunbookCatalogue(directories: targets.runbookDirectories)
            var files: [RunbookTestFile] = []
            // With --runbooks, the cases there only; else every runbook folder's.
            for dir in targets.runbooks.map({ [$0] }) ?? targets.runbookDirectories {
                let testDir = (dir as NSString).appendingPathComponent("tests")
                for name in ((try? FileManager.default.contentsOfDirectory(atPath: testDir)) ?? []).sorted() where name.hasSuffix(".yaml") {
                    do { files.append(try RunbookTestFile.load(path: (testDir as NSString).appendingPathComponent(name))) } catch {
                        throw fail(error.description)
                    }
                }
            }
            if !runbooks.isEmpty {
                // Named as anywhere else: an id, an alias, a unique prefix.
                var ids: [String] = []
                for name in runbooks {
                    let id: String
                    do { id = try catalogue.resolve(name).id } catch { throw fail(error.description, code: 64) }
                    guard files.contains(where: { $0.runbook == id }) else { throw fail("no cases for runbook \(id)", code: 64) }
                    ids.append(id)
                }
                files = files.filter { ids.contains($0.runbook) }
            }
            let work = NSTemporaryDirectory() + "rbsh-test-\(getpid())"
            try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            var passed = 0, failed = 0, skipped = 0
            print("lab API: \(lab.flavour.rawValue) (\(lab.flavour.summary))")
            for file in files {
                let book: Runbook
                do { book = try catalogue.resolve(file.runbook) } catch {
                    print("✘ \(file.runbook): \(error.description)")
                    failed += file.cases.count
                    continue
                }
                for c in file.cases {
                    if let why = Self.skipReason(c, lab: lab) {
                        skipped += 1
                        print("○ \(file.runbook): \(c.name) (not on this lab: \(why))")
                        continue
                    }
                    let (diffs, ms, transcript) = runCase(c, book: book, lab: lab, catalogue: catalogue, work: work)
                    if diffs.isEmpty {
                        passed += 1
                        print(String(format: "✔ %@: %@ (%.0f ms)", file.runbook, c.name, ms))
                    } else {
                        failed += 1
                        print("✘ \(file.runbook): \(c.name)")
                        for d in diffs { print("    \(d)") }
                        print("    transcript: \(transcript)")
                    }
                }
            }
            print("\(passed) passed, \(failed) failed" + (skipped > 0 ? ", \(skipped) not for the \(lab.flavour.rawValue) API" : ""))
            if failed == 0 { try? FileManager.default.removeItem(atPath: work) }
            if failed > 0 { throw ExitCode(1) }
        }

        /// Why a case does not apply to this lab: it is for another API flavour, or a fault cannot be injected into this one.
        static func skipReason(_ c: RunbookTestCase, lab: LabState) -> String? {
            if !c.flavours.isEmpty, !c.flavours.contains(lab.flavour.rawValue) {
                return "for the \(c.flavours.joined(separator: ", ")) API"
            }
            let faults = LabFaults(state: lab)
            return c.faults.lazy.compactMap { faults.inapplicable($0) }.first
        }

        func runCase(_ c: RunbookTestCase, book: Runbook, lab: LabState, catalogue: RunbookCatalogue, work: String)
            -> (diffs: [String], ms: Double, transcript: String)
        {
            let started = ContinuousClock.now
            let faults = LabFaults(state: lab)
            do { try faults.settle() } catch { return (["settling the lab: \(error)"], 0, "") }
            defer { for fault in c.faults.reversed() { try? faults.clear(fault) } }
            for fault in c.faults {
                do { try faults.inject(fault) } catch { return (["injecting \(fault): \(error)"], 0, "") }
            }
            let slug = c.name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
            let path = "\(work)/\(book.id)-\(String(slug).prefix(40)).jsonl"
            try? FileManager.default.removeItem(atPath: path)
            var targets = lab.targets
            targets.extras = lab.targetExtras
            let setup: SessionSetup
            do {
                setup = try SessionSetup(
                    command: "test", runbook: book.id, targets: targets, secrets: lab.targets.secrets,
                    transcript: path, defaultName: book.id, start: SessionStart(mode: "test", allow: c.allow?.rawValue ?? "none"),
                    signals: Interrupts.sessionSignals)
            } catch {
                return (["\(error)"], 0, path)
            }
            var answers: [String: (value: String, by: Decider)] = [:]
            for (k, v) in c.answers { answers[k] = (v, .answersFile) }
            let session = setup.session(
                book, policy: RemediationPolicy(mode: .unattended(allow: c.allow)), answers: answers,
                catalogue: catalogue)
            let recording = RecordingPresenter()
            let stepper = setup.stepper(session, presenter: recording, host: UnattendedHost(), concurrent: true)
            let status = stepper.run()
            _ = setup.end(status, recorder: stepper.recorder)
            let d = ContinuousClock.now - started
            let ms = d.milliseconds
            return (RunbookTestVerdict.differences(c, session: stepper.session, records: recording.events), ms, path)
        }
    }
}
