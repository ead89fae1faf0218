import Clients
import Foundation
import OutputCapture
import RunbookKit

/// `http` steps: a GET or HEAD, its status, headers and JSON body as `json.*` names.
extension ProbeRunner {
    func runHTTP(_ a: HTTPAction, timeout: Double, control: StepControl) -> StepResult {
        do {
            let response = try HTTPClient.exchange(
                method: a.method, url: a.url, headers: a.headers, timeout: timeout,
                caFile: targets.extras["ca_file"], interrupted: control.interrupted)
            var result = StepResult(status: (200..<400).contains(response.status) ? .ok : .failed)
            result.values["status_code"] = .number(Double(response.status))
            result.values["latency_ms"] = .number(response.latencyMilliseconds)
            result.values["connected"] = .bool(true)
            result.values["accepted"] = .bool(true)
            result.values["answered"] = .bool(true)
            for (k, v) in response.headers { result.values["header.\(k)"] = .string(v) }
            var capture = BoundedCapture(limit: shell.captureLimit)
            capture.append(response.body)
            result.output = CapturedOutput(
                text: "HTTP \(response.status) \(response.reason)\n" + capture.captured.text,
                elidedBytes: capture.captured.elidedBytes)
            if let json = try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed]) {
                JSONFlattener.flatten(json, prefix: "json", into: &result.values)
            }
            return result
        } catch {
            return Self.exchangeResult(error)
        }
    }

    /// A request that failed, with what the peer sent shown: the bytes of
    /// another protocol are the evidence that something else holds the port.
    static func exchangeResult(_ failure: ExchangeFailure) -> StepResult {
        var result = StepResult(failure: failure)
        if failure.accepted, !failure.received.isEmpty {
            result.output = CapturedOutput(text: "the peer sent: \(failure.receivedPreview)")
        }
        return result
    }
}

/// Turns a JSON document into dotted names: `json.database.ok`, `json.items.0.id`.
enum JSONFlattener {
    static func flatten(_ value: Any, prefix: String, into out: inout [String: Value], depth: Int = 0) {
        guard depth < 8, out.count < 1_000 else { return }
        switch value {
        case let d as [String: Any]:
            for (k, v) in d { flatten(v, prefix: "\(prefix).\(k)", into: &out, depth: depth + 1) }
        case let a as [Any]:
            out["\(prefix).length"] = .number(Double(a.count))
            for (i, v) in a.prefix(50).enumerated() { flatten(v, prefix: "\(prefix).\(i)", into: &out, depth: depth + 1) }
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { out[prefix] = .bool(n.boolValue) } else { out[prefix] = .number(n.doubleValue) }
        case let s as String:
            out[prefix] = .string(s)
        case is NSNull:
            out[prefix] = .null
        default:
            break
        }
    }
}
