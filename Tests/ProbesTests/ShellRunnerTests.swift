import Foundation
import Testing
import Clients
import TestSupport
@testable import Probes

@Suite struct ShellRunnerTests {
    let runner = ShellRunner(captureLimit: 64 << 10, grace: 0.5)

    @Test func reportsExitStatusAndCapturesBothStreams() {
        let out = runner.run("echo out; echo err >&2; exit 7", timeout: 10)
        #expect(out.ending == .exited(7))
        #expect(out.output.text.contains("out"))
        #expect(out.output.text.contains("err"))
    }

    @Test func valuesArriveAsEnvironmentVariablesNotAsCommandText() {
        let hostile = "x'; echo INJECTED; '"
        let out = runner.run(#"printf '%s' "$VALUE""#, environment: ["VALUE": hostile], timeout: 10)
        #expect(out.ending == .exited(0))
        #expect(out.output.text == hostile)
    }

    /// A program still open for writing (here by the test; in a busy process, by another thread's child that
    /// inherited the descriptor of a file just written) is "text file busy" for a moment: tried again, it runs.
    @Test func aProgramBusyForAMomentIsTriedAgain() throws {
        let path = NSTemporaryDirectory() + "rbsh-busy-\(UUID().uuidString.prefix(8)).sh"
        // Written close-on-exec: a child another test spawns meanwhile must not keep it busy for its whole life.
        try ExecutableFile.write("#!/bin/sh\necho ran\n", to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = open(path, O_WRONLY | O_CLOEXEC)
        try #require(writer >= 0)
        let closing = Thread {
            Thread.sleep(forTimeInterval: 0.1)
            close(writer)
        }
        closing.start()
        let out = runner.run(argv: [path], timeout: 10)
        #expect(out.ending == .exited(0), "\(out.ending)")
        #expect(out.output.text == "ran\n")
    }

    @Test func aTimeoutEndsTheWholeProcessGroup() throws {
        let pidFile = NSTemporaryDirectory() + "rbsh-grandchild-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let started = Date()
        let out = runner.run("sleep 300 & echo $! > \(pidFile); echo started; wait", timeout: 0.5)
        #expect(out.ending == .timedOut)
        #expect(out.output.text.contains("started"), "partial output is kept")
        #expect(Date().timeIntervalSince(started) < 5)
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let grandchild = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        usleep(100_000)
        #expect(!Self.isRunning(grandchild), "the background sleep outlived the step")
    }

    /// Alive and not a zombie (an orphan's zombie waits for whoever adopts it).
    static func isRunning(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    @Test func aCommandThatNeverEndsStopsAtItsTimeoutWithOutputKept() {
        let out = runner.run("while true; do echo tick; sleep 0.05; done", timeout: 0.5)
        #expect(out.ending == .timedOut)
        #expect(out.output.text.contains("tick"))
    }

    @Test func anInterruptStopsTheStep() {
        let started = Date()
        let out = runner.run("sleep 30", timeout: 60, interrupted: { Date().timeIntervalSince(started) > 0.3 })
        #expect(out.ending == .interrupted)
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test func hugeOutputKeepsHeadAndTailInBoundedMemory() {
        let out = runner.run("echo FIRST; head -c 10000000 /dev/zero | tr '\\0' x; echo; echo LAST", timeout: 30)
        #expect(out.ending == .exited(0))
        #expect(out.output.text.hasPrefix("FIRST"))
        #expect(out.output.text.hasSuffix("LAST\n"))
        #expect(out.output.elidedBytes > 9_000_000)
        #expect(out.output.text.utf8.count < 70 << 10)
    }

    @Test func aProgramThatCannotStartSaysSo() {
        let out = ShellRunner().run(argv: ["/nonexistent/program"], timeout: 5)
        guard case .failedToStart(let message) = out.ending else {
            Issue.record("expected failedToStart, got \(out.ending)")
            return
        }
        #expect(message.contains("/nonexistent/program"))
    }
}
