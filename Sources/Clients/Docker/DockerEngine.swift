import Foundation

/// Docker's Engine API on its Unix socket, the docker CLI's own path: containers as structured state
/// (status, exit code, OOM kill, restarts, health, start time, memory against its limit, the last lines of
/// its log), not table text. A Compose project is found by its labels (`com.docker.compose.project`,
/// `com.docker.compose.service`), never assumed.
public struct DockerEngine: Sendable {
    public let socketPath: String

    /// `DOCKER_HOST` when it is a `unix://` address, else `/var/run/docker.sock`; nil (with why) for an engine
    /// reached over TCP, which rbsh does not speak to.
    public static func locate(environment: [String: String]) -> Result<DockerEngine, NetworkError> {
        guard let host = environment["DOCKER_HOST"], !host.isEmpty else {
            return .success(DockerEngine(socketPath: "/var/run/docker.sock"))
        }
        guard host.hasPrefix("unix://") else {
            return .failure(.badAddress("DOCKER_HOST=\(host): rbsh reads the engine on a unix:// socket only"))
        }
        return .success(DockerEngine(socketPath: String(host.dropFirst("unix://".count))))
    }

    public init(socketPath: String) { self.socketPath = socketPath }

    /// One GET, `Connection: close`, bounded by `timeout`.
    public func get(_ path: String, timeout: Double) throws(NetworkError) -> HTTPResponse {
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int(timeout * 1000))
        // Closed when it goes (TCPSocket's deinit), as every connection of the clients is.
        let socket = try TCPSocket.connect(unixPath: socketPath)
        try socket.write(
            Array("GET \(path) HTTP/1.1\r\nHost: docker\r\nUser-Agent: rbsh\r\nConnection: close\r\n\r\n".utf8), deadline: deadline)
        var data: [UInt8] = []
        while data.count < HTTPClient.bodyLimit {
            let chunk = try socket.read(deadline: deadline)
            if chunk.isEmpty { break }
            data += chunk
        }
        var response = try HTTPClient.parse(data, method: "GET")
        response.latencyMilliseconds = (ContinuousClock.now - started).milliseconds
        return response
    }

    /// A JSON answer, or why there is none (the engine's own message for an error status).
    func json(_ path: String, timeout: Double) throws(NetworkError) -> Any {
        let response = try get(path, timeout: timeout)
        let object = try? JSONSerialization.jsonObject(with: Data(response.body))
        guard (200..<300).contains(response.status) else {
            let message = (object as? [String: Any])?["message"] as? String ?? response.reason
            throw .protocolError("the engine answered \(response.status): \(message)")
        }
        guard let object else { throw .protocolError("the engine's answer to \(path) is not JSON") }
        return object
    }

    /// The containers, running or not, of a Compose project (every project's when nil), by name, inspected.
    public func containers(project: String?, timeout: Double) throws(NetworkError) -> [ContainerState] {
        var states: [ContainerState] = []
        for listed in try list(project: project, timeout: timeout) { states.append(try inspect(listed.id, timeout: timeout)) }
        return states
    }

    /// The containers, running or not, of a Compose project (every project's when nil), by name, as the
    /// engine's list has them (`ContainerState.inspected` false).
    public func list(project: String?, timeout: Double) throws(NetworkError) -> [ContainerState] {
        var path = "/containers/json?all=1"
        if let project {
            let filter = #"{"label":["com.docker.compose.project=\#(project)"]}"#
            path += "&filters=" + (filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }
        let list = try json(path, timeout: timeout) as? [[String: Any]] ?? []
        return list.map { ContainerState(listed: $0) }.filter { !$0.id.isEmpty }.sorted { $0.name < $1.name }
    }

    /// The running container with `address` on one of its networks (what docker-proxy forwards a published
    /// port to): its name and its Compose service (empty when it has none).
    public func container(at address: String, timeout: Double) throws(NetworkError) -> (name: String, service: String)? {
        let list = try json("/containers/json", timeout: timeout) as? [[String: Any]] ?? []
        for item in list {
            let networks = (item["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: Any] ?? [:]
            guard networks.values.contains(where: { ($0 as? [String: Any])?["IPAddress"] as? String == address }) else { continue }
            let name = (item["Names"] as? [String])?.first.map { String($0.drop { $0 == "/" }) } ?? ""
            let labels = item["Labels"] as? [String: String] ?? [:]
            return (name, labels["com.docker.compose.service"] ?? "")
        }
        return nil
    }

    /// One container's state as `docker inspect` has it.
    public func inspect(_ id: String, timeout: Double) throws(NetworkError) -> ContainerState {
        let object = try json("/containers/\(id)/json", timeout: timeout) as? [String: Any] ?? [:]
        return ContainerState(inspected: object)
    }

    /// Memory in use (without the page cache, as `docker stats` counts it) and the limit, in bytes, from one
    /// sample (`one-shot`: no second sample a second later, as `docker stats --no-stream` waits for).
    public func memory(_ id: String, timeout: Double) throws(NetworkError) -> (used: Double, limit: Double)? {
        let object = try json("/containers/\(id)/stats?stream=false&one-shot=true", timeout: timeout) as? [String: Any] ?? [:]
        guard let memory = object["memory_stats"] as? [String: Any], let usage = (memory["usage"] as? NSNumber)?.doubleValue,
            let limit = (memory["limit"] as? NSNumber)?.doubleValue
        else { return nil }
        let stats = memory["stats"] as? [String: Any] ?? [:]
        let cache = ((stats["inactive_file"] ?? stats["total_inactive_file"] ?? stats["cache"]) as? NSNumber)?.doubleValue ?? 0
        return (max(0, usage - cache), limit)
    }

    /// The last `lines` lines of a container's output (since a Unix time: its last run's, from its start), stdout and stderr in the order the engine recorded them
    /// (each stream's own order is kept; how the two interleave is the engine's).
    public func logTail(_ id: String, lines: Int, since: String? = nil, timeout: Double) throws(NetworkError) -> [String] {
        let response = try get(
            "/containers/\(id)/logs?stdout=1&stderr=1&tail=\(lines)" + (since.map { "&since=\($0)" } ?? ""), timeout: timeout)
        guard (200..<300).contains(response.status) else { throw .protocolError("the engine answered \(response.status) for the log") }
        return Self.demultiplexed(response.body).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            .filter { !$0.isEmpty }
    }

    /// A log without a terminal comes in frames: a byte naming the stream, three zero bytes, a big-endian
    /// length, the bytes. With a terminal it is the bytes as they are.
    static func demultiplexed(_ body: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        let framed = body.count >= 8 && [0, 1, 2].contains(body[0]) && body[1] == 0 && body[2] == 0 && body[3] == 0
        guard framed else { return String(decoding: body, as: UTF8.self) }
        while i + 8 <= body.count {
            let length = Int(body[i + 4]) << 24 | Int(body[i + 5]) << 16 | Int(body[i + 6]) << 8 | Int(body[i + 7])
            let end = min(body.count, i + 8 + length)
            out += body[(i + 8)..<end]
            i = end
        }
        return String(decoding: out, as: UTF8.self)
    }
}
