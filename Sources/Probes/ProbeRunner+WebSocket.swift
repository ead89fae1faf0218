import Clients
import Foundation
import OutputCapture
import RunbookKit

/// `websocket` steps: the upgrade, its Sec-WebSocket-Accept, and a ping answered.
extension ProbeRunner {
    func runWebSocket(_ a: WebSocketAction, timeout: Double, control: StepControl) -> StepResult {
        do {
            let o = try WebSocketProbe.check(
                url: a.url, ping: a.ping, timeout: timeout, caFile: targets.extras["ca_file"],
                interrupted: control.interrupted)
            let upgraded = o.status == 101 && o.acceptValid
            var r = StepResult(status: upgraded && (!a.ping || o.pongMilliseconds != nil) ? .ok : .failed)
            r.values["connected"] = .bool(true)
            r.values["accepted"] = .bool(true)
            r.values["answered"] = .bool(true)
            r.values["status_code"] = .number(Double(o.status))
            r.values["upgraded"] = .bool(upgraded)
            r.values["accept_valid"] = .bool(o.acceptValid)
            r.values["latency_ms"] = .number(o.handshakeMilliseconds)
            if let p = o.pongMilliseconds { r.values["pong_ms"] = .number(p) }
            r.values["pong"] = .bool(o.pongMilliseconds != nil)
            var text =
                "HTTP \(o.status)"
                + (o.status == 101 ? (o.acceptValid ? ", Sec-WebSocket-Accept correct" : ", Sec-WebSocket-Accept WRONG") : "")
            text += String(format: ", handshake %.1f ms", o.handshakeMilliseconds)
            if let p = o.pongMilliseconds { text += String(format: ", pong in %.1f ms", p) }
            r.output = CapturedOutput(text: text)
            if !upgraded { r.error = o.status == 101 ? "the Sec-WebSocket-Accept header is wrong" : "no upgrade: HTTP \(o.status)" }
            return r
        } catch {
            return Self.exchangeResult(error)
        }
    }
}
