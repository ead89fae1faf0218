import Foundation

/// `docker exec` through the Engine API: a command run in a running container, its input and output one
/// connection that the engine hands over (`Upgrade: tcp`), the output in the frames the log has.
extension DockerEngine {
    /// A command running in a container: write its input to `socket`, read its output frames from it
    /// (`leftover` first: what came with the engine's answer).
    public struct Exec: Sendable {
        public var id: String
        public var socket: TCPSocket
        public var leftover: [UInt8]
    }

    /// Starts `command` in the container `id` with `environment` (`NAME=value`), its input open.
    public func exec(_ id: String, command: [String], environment: [String] = [], timeout: Double) throws(NetworkError) -> Exec {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        let spec: [String: Any] = [
            "AttachStdin": true, "AttachStdout": true, "AttachStderr": true, "Tty": false, "Cmd": command, "Env": environment,
        ]
        guard let body = try? JSONSerialization.data(withJSONObject: spec) else { throw .protocolError("the exec request") }
        let created = try send("POST", "/containers/\(id)/exec", body: Array(body), upgrade: false, deadline: deadline)
        guard (200..<300).contains(created.status),
            let execID = (try? JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any])?["Id"] as? String
        else { throw .protocolError("the engine would not exec in \(id): \(Self.message(created))") }
        let start = Array(#"{"Detach":false,"Tty":false}"#.utf8)
        let socket = try TCPSocket.connect(unixPath: socketPath)
        try socket.write(Self.request("POST", "/exec/\(execID)/start", body: start, upgrade: true), deadline: deadline)
        // The engine's answer (101 UPGRADED, or 200 from an older one), then the command's output on the same socket.
        var head: [UInt8] = []
        while head.firstRange(of: [13, 10, 13, 10]) == nil {
            let chunk = try socket.read(deadline: deadline)
            guard !chunk.isEmpty, head.count < 64 << 10 else { throw .protocolError("the engine closed the exec without answering") }
            head += chunk
        }
        let split = head.firstRange(of: [13, 10, 13, 10])?.upperBound ?? head.count
        let answer = try HTTPClient.parse(Array(head[..<split]), method: "POST")
        guard answer.status == 101 || answer.status == 200 else {
            throw .protocolError("the engine would not start the exec in \(id): \(answer.status) \(answer.reason)")
        }
        return Exec(id: execID, socket: socket, leftover: Array(head[split...]))
    }

    /// How a command run by `exec` ended: its exit code, nil while it runs.
    public func exitCode(ofExec id: String, timeout: Double) throws(NetworkError) -> Int? {
        let object = try json("/exec/\(id)/json", timeout: timeout) as? [String: Any] ?? [:]
        guard object["Running"] as? Bool == false else { return nil }
        return (object["ExitCode"] as? NSNumber)?.intValue
    }

    /// The container a service name stands for: one whose Compose service label is `name` (of `project` when
    /// it is not empty), else one named `name`; a running one first.
    public func container(service name: String, project: String, timeout: Double) throws(NetworkError) -> ContainerState? {
        let listed = try list(project: project.isEmpty ? nil : project, timeout: timeout)
        let matching = listed.filter { $0.service == name } + listed.filter { $0.service != name && $0.name == name }
        return matching.first { $0.status == "running" } ?? matching.first
    }

    private func send(_ method: String, _ path: String, body: [UInt8], upgrade: Bool, deadline: ContinuousClock.Instant)
        throws(NetworkError) -> HTTPResponse
    {
        let socket = try TCPSocket.connect(unixPath: socketPath)
        try socket.write(Self.request(method, path, body: body, upgrade: upgrade), deadline: deadline)
        var data: [UInt8] = []
        while data.count < HTTPClient.bodyLimit {
            let chunk = try socket.read(deadline: deadline)
            if chunk.isEmpty { break }
            data += chunk
        }
        return try HTTPClient.parse(data, method: method)
    }

    private static func request(_ method: String, _ path: String, body: [UInt8], upgrade: Bool) -> [UInt8] {
        let connection = upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "Connection: close\r\n"
        let head =
            "\(method) \(path) HTTP/1.1\r\nHost: docker\r\nUser-Agent: rbsh\r\n\(connection)"
            + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        return Array(head.utf8) + body
    }

    private static func message(_ response: HTTPResponse) -> String {
        let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return object?["message"] as? String ?? "\(response.status) \(response.reason)"
    }
}
