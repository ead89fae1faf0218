// Measures a SQL step's cost in layers, in one process, against the lab:
// libpq alone, the postgres step executor, and the whole engine with its
// transcript. bench/probes runs it beside psql and pgbench.
import Foundation
import Clients
import Lab
import OutputCapture
import Probes
import RunbookKit

if CommandLine.arguments.dropFirst().first == "recall" || CommandLine.arguments.dropFirst().first == "remember" {
    let args = Array(CommandLine.arguments.dropFirst(2))
    do {
        try CommandLine.arguments[1] == "recall" ? RecallBench.recall(args) : RecallBench.remember(args)
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("rbsh-bench: \(error)\n".utf8))
        exit(1)
    }
}

// `rbsh-bench events N PATH`: write a transcript of N events (a realistic
// mix), fsynced as rbsh writes them, and print the cost of one event.
if CommandLine.arguments.dropFirst().first == "events" {
    let args = Array(CommandLine.arguments.dropFirst(2))
    let n = args.first.flatMap(Int.init) ?? 10_000
    let path = args.count > 1 ? args[1] : NSTemporaryDirectory() + "rbsh-events-\(getpid()).jsonl"
    // Nothing is removed first: a transcript is never written over an existing file (a device, /dev/null, is written to).
    do {
        let writer = try TranscriptWriter(
            path: path, redactor: Redactor(secrets: ["lab-password"]),
            header: TranscriptHeader(command: "run", rbshVersion: "bench", user: "bench", host: "bench"))
        let table = ResultTable(columns: ["state", "connections"], rows: [["idle", "80"], ["active", "1"]], numericColumns: [1])
        let output = CapturedOutput(text: TableFormatter.render(table))
        let finding = Finding(id: "many-idle-connections", severity: .warning, message: "80 connections are idle", step: "connections")
        let start = ContinuousClock.now
        var written = 0
        try writer.write(.sessionStarted(SessionStart(mode: "unattended")))
        try writer.write(.runbookStarted(id: "bench", title: "bench"))
        written += 2
        var i = 0
        while written < n - 1 {
            i += 1
            try writer.write(
                .stepStarted(
                    step: "s\(i)", title: "Connections by state", kind: "postgres", purpose: .diagnose,
                    detail: "SELECT state, count(*) FROM pg_stat_activity GROUP BY 1"))
            try writer.write(
                .stepEnded(
                    step: "s\(i)", purpose: .diagnose,
                    result: StepResult(
                        status: .ok, durationMilliseconds: 1.2, output: output, values: ["row_count": .number(2)], table: table),
                    findings: i % 10 == 0 ? [finding] : []))
            written += 2
            if i % 50 == 0 {
                try writer.write(.note("checked the pool, password=not-here"))
                written += 1
            }
        }
        try writer.write(.sessionEnded(status: .warning, reason: nil))
        written += 1
        let d = ContinuousClock.now - start
        let ms = d.milliseconds
        print(String(format: "wrote %d events to %@: %.3f ms an event, each fsynced", written, path, ms / Double(written)))
    } catch {
        FileHandle.standardError.write(Data("rbsh-bench: \(error)\n".utf8))
        exit(3)
    }
    exit(0)
}

guard let lab = LabState.load() else {
    FileHandle.standardError.write(Data("rbsh-bench: the lab is not up (rbsh lab up)\n".utf8))
    exit(3)
}
let count = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1000

func perStepMilliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let d = ContinuousClock.now - start
    return (d.milliseconds) / Double(count)
}

do {
    // 1. libpq: one round trip a query, nothing around it; and
    // 2. the postgres step executor, as every runbook step runs.
    // Nine rounds, each a block of queries on either, alternating; the
    // median round of each is kept: the machine is shared and noisy.
    // Both on the same connection: the loopback round trip depends on where
    // the backend runs, which would otherwise differ between the two.
    let runner = ProbeRunner(targets: lab.targets)
    let connection = try runner.postgresConnection()
    let step = PendingStep(step: Step(id: "s", title: "s", action: .postgres(PostgresAction(sql: "SELECT 1"))), purpose: .diagnose)
    _ = try connection.query("SELECT 1")
    _ = runner.run(step, control: StepControl())
    var raws: [Double] = [], probes: [Double] = []
    func timed(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        return d.milliseconds
    }
    for _ in 0..<9 {
        raws.append(try timed { for _ in 0..<count { _ = try connection.query("SELECT 1") } } / Double(count))
        probes.append(timed { for _ in 0..<count { _ = runner.run(step, control: StepControl()) } } / Double(count))
    }
    let raw = raws.sorted()[4], probe = probes.sorted()[4]

    // 3. The session engine driving it, each step's two events written to a transcript (fsync'd).
    let steps = (0..<count).map { Step(id: "s\($0)", title: "s", action: .postgres(PostgresAction(sql: "SELECT 1"))) }
    let book = Runbook(id: "bench", title: "bench", category: .tool, steps: steps)
    let path = NSTemporaryDirectory() + "rbsh-bench-\(getpid()).jsonl"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let writer = try TranscriptWriter(path: path, redactor: Redactor(secrets: lab.targets.secrets), header: TranscriptHeader())
    let host = UnattendedHost()
    let stepper = Stepper(
        session: RunbookSession(runbook: book, policy: RemediationPolicy(mode: .unattended(allow: nil))),
        execution: StepExecution(runner: runner, recorder: SessionRecorder(transcript: writer, presenter: nil)),
        host: host, concurrent: true)
    let session = perStepMilliseconds { _ = stepper.run() }

    print(String(format: "libpq SELECT 1:              %.4f ms a query (median of 9 rounds)", raw))
    print(String(format: "postgres step executor:      %.4f ms a step (median of 9 rounds, %.2fx libpq)", probe, probe / raw))
    print(String(format: "engine + transcript (fsync): %.4f ms a step (mean, %.2fx libpq)", session, session / raw))
} catch {
    FileHandle.standardError.write(Data("rbsh-bench: \(error)\n".utf8))
    exit(3)
}
