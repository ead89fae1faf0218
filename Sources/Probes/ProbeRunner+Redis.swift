import Clients
import Foundation
import OutputCapture
import RunbookKit

/// `redis` steps: one command as separate arguments; `INFO` read field by field.
extension ProbeRunner {
    func runRedis(_ a: RedisAction, timeout: Double) -> StepResult {
        var result = StepResult(status: .ok)
        do throws(RedisError) {
            let url = try RedisURL(parsing: targets.redis)
            let conn: RedisConnection
            if let existing = redis { conn = existing } else { conn = try RedisConnection.connect(url, timeout: min(timeout, 10)) }
            redis = conn
            let reply: RedisReply
            do {
                reply = try conn.command(a.argv)
            } catch .connectionLost {
                // Lost between steps: once more on a new connection.
                let fresh = try RedisConnection.connect(url, timeout: min(timeout, 10))
                redis = fresh
                result.values["reconnected"] = .bool(true)
                reply = try fresh.command(a.argv)
            }
            result.output = CapturedOutput(text: reply.text)
            switch reply {
            case .integer(let i): result.values["value"] = .number(Double(i))
            case .string(let s), .status(let s): result.values["value"] = Value(parsing: s)
            case .array(let items): result.values["count"] = .number(Double(items.count))
            default: break
            }
            if a.argv.first?.uppercased() == "INFO", case .string(let text) = reply {
                let info = RedisInfo(parsing: text)
                for (k, v) in info.fields where result.values[k] == nil { result.values[k] = Value(parsing: v) }
                if let h = info.hitRatePercent { result.values["hit_rate"] = .number(h) }
                if let m = info.memoryUsedPercent { result.values["memory_used_pct"] = .number(m) }
            }
        } catch {
            if case .connectionLost = error { redis = nil }
            result = StepResult(failure: error)
            if case .badURL = error { result.error = "\(error) (\(Redaction.redactURL(targets.redis)))" }
        }
        result.values["connected"] = .bool(result.status == .ok || result.status == .failed)
        return result
    }
}
