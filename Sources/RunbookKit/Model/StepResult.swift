import Foundation
import OutputCapture

/// How a step ended.
public enum StepStatus: String, Sendable, Codable, Hashable {
    /// It ran and its check passed (exit 0, the query answered, the port accepted...).
    case ok
    /// It ran and said no: a non-zero exit, an SQL error, a refused port.
    case failed
    /// It could not run: unreachable, wrong password, bad configuration.
    case error
    /// It ran past its timeout and was stopped.
    case timeout
    /// The operator stopped it.
    case interrupted
    /// It was not run (skipped, or `--dry-run` for a step that changes things).
    case skipped
}

/// Rows and columns, as a query or a probe returns them.
public struct ResultTable: Sendable, Hashable, Codable {
    public var columns: [String]
    public var rows: [[String?]]
    /// Columns holding numbers, drawn right-aligned as psql draws them.
    public var numericColumns: Set<Int>

    public init(columns: [String], rows: [[String?]], numericColumns: Set<Int> = []) {
        self.columns = columns
        self.rows = rows
        self.numericColumns = numericColumns
    }
}

/// What running a step gave: the structured result conditions test.
public struct StepResult: Sendable, Hashable {
    public var status: StepStatus
    public var exitCode: Int32?
    public var durationMilliseconds: Double
    public var output: CapturedOutput
    /// One line, for the operator; never holds a secret.
    public var error: String?
    /// Named results: row counts, the first row's columns, latency, status codes...
    public var values: [String: Value]
    public var table: ResultTable?

    public init(
        status: StepStatus, exitCode: Int32? = nil, durationMilliseconds: Double = 0,
        output: CapturedOutput = CapturedOutput(), error: String? = nil,
        values: [String: Value] = [:], table: ResultTable? = nil
    ) {
        self.status = status
        self.exitCode = exitCode
        self.durationMilliseconds = durationMilliseconds
        self.output = output
        self.error = error
        self.values = values
        self.table = table
    }

    public static func skipped(_ why: String) -> StepResult {
        StepResult(status: .skipped, error: why)
    }

    /// It ran to an answer, yes or no: every name it produces has a value
    /// (null where the answer lacks it).
    public var finished: Bool { status == .ok || status == .failed }

    /// Every name a condition may read on this result.
    ///
    /// A skipped step has only its `status`: whatever depends on it is
    /// unknown, not failed. A step that did not finish (it timed out, could
    /// not run, was stopped) has how it ended (`status`, `timed_out`,
    /// `error`, `error_kind`, its duration) and the facts its failure
    /// established (`connected` where it says, `accepted`, `sqlstate`...);
    /// its output and answer are unknown: a timeout is not evidence of what
    /// the answer would have been.
    public func value(of name: String) -> Value? {
        if status == .skipped, name != "status" { return nil }
        switch name {
        case "status": return .string(status.rawValue)
        case "ok": return .bool(status == .ok)
        case "failed": return .bool(status == .failed)
        case "timed_out": return .bool(status == .timeout)
        case "duration", "duration_ms": return .number(durationMilliseconds)
        case "error": return error.map { .string($0) } ?? .string("")
        // Probes set it only when something went wrong; otherwise it is empty, not unknown.
        case "error_kind", "sqlstate": return values[name] ?? .string("")
        default: break
        }
        guard finished else { return values[name] }
        switch name {
        case "exit_code": return exitCode.map { .number(Double($0)) } ?? values[name]
        case "output": return .string(output.text)
        case "row_count", "rows":
            if let v = values["row_count"] { return v }
            return table.map { .number(Double($0.rows.count)) }
        default:
            if let v = values[name] { return v }
            if let table, let first = table.rows.first, let column = table.columns.firstIndex(of: name) {
                return Value(parsing: first[column])
            }
            return nil
        }
    }
}
