import Clients
import Foundation
import OutputCapture
import RunbookKit

/// `shell` steps: a command in its own process group, its exit status and output.
extension ProbeRunner {
    func runShell(_ a: ShellAction, timeout: Double, control: StepControl) -> StepResult {
        let outcome = shell.run(a.command, environment: a.env, timeout: timeout, interrupted: control.interrupted) { bytes, stream in
            control.output(String(decoding: bytes, as: UTF8.self), stream)
        }
        return Self.shellResult(outcome, timeout: timeout)
    }

    /// How a command ended, here or on a host, as a shell step's result.
    static func shellResult(_ outcome: ShellOutcome, timeout: Double) -> StepResult {
        var result = StepResult(status: .ok, output: outcome.output)
        result.values["lines"] = .number(Double(outcome.output.text.split(whereSeparator: \.isNewline).count))
        switch outcome.ending {
        case .exited(let code):
            result.exitCode = code
            result.status = code == 0 ? .ok : .failed
        case .signalled(let sig):
            result.status = .failed
            result.values["signal"] = .number(Double(sig))
            result.error = "killed by signal \(sig)"
        case .timedOut:
            result.status = .timeout
            result.error = "stopped after its \(formatSeconds(timeout)) timeout"
        case .interrupted:
            result.status = .interrupted
            result.error = "interrupted"
        case .failedToStart(let message):
            result.status = .error
            result.error = message
        }
        return result
    }
}
