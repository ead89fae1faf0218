import Foundation

/// PostgreSQL in a container with no port published, reached as the guide reaches it (`docker exec postgres
/// psql`, `docker exec postgres pg_isready`): through `docker exec` into its container, to the server's own Unix
/// socket there. libpq still speaks to it, over a socket of rbsh's that each connection runs a relay behind
/// (`DatabaseRelay`); the relay in the container is `perl`'s or `socat`'s, whichever it has (Debian's
/// postgres images have perl).
public enum ContainerDatabase {
    /// Where a server in a container keeps its socket: Debian's (the postgres image's) directory, then libpq's
    /// upstream default.
    static let socketDirectories = ["/var/run/postgresql", "/tmp"]

    /// The shell script run in the container: finds the socket for the port in `PGPORT`, then (`RELAY=1`)
    /// relays its input and output to it, or only connects once and says so. Exit 3: no socket; 4: nothing to
    /// relay with; 5: the server refused.
    static let script = """
        s=; for d in \(socketDirectories.joined(separator: " ")); do [ -S "$d/.s.PGSQL.$PGPORT" ] && s="$d/.s.PGSQL.$PGPORT" && break; done
        [ -n "$s" ] || { echo "no PostgreSQL socket for port $PGPORT in \(socketDirectories.joined(separator: " or ")) in the container: the server is not listening" >&2; exit 3; }
        if command -v perl >/dev/null 2>&1; then exec perl -MIO::Socket::UNIX -MIO::Select -e '\(perlRelay)' "$s"; fi
        if command -v socat >/dev/null 2>&1; then
            [ "$RELAY" = 1 ] && exec socat STDIO "UNIX-CONNECT:$s"
            exec socat /dev/null "UNIX-CONNECT:$s"
        fi
        echo "the container has neither perl nor socat to reach PostgreSQL's socket $s" >&2; exit 4
        """

    /// Connects to the socket (exit 5 with why when it cannot); with RELAY=1 copies stdin to it and it to stdout
    /// until the server closes. (In the script's single quotes: it has none of its own.)
    static let perlRelay = #"""
        my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or do { print STDERR "PostgreSQL socket $ARGV[0]: $!\n"; exit 5 };
        exit 0 unless ($ENV{RELAY} // "") eq "1";
        my $sel = IO::Select->new(\*STDIN, $s);
        while (my @ready = $sel->can_read) {
            for my $h (@ready) {
                my $n = sysread($h, my $buf, 65536);
                if (!$n) { exit 0 if $h == $s; $sel->remove(\*STDIN); shutdown($s, 1); next }
                my $out = $h == $s ? \*STDOUT : $s; my $o = 0;
                while ($o < $n) { my $w = syswrite($out, $buf, $n - $o, $o); exit 0 unless defined $w; $o += $w }
            }
        }
        """#

    /// The running container of `service` (its Compose service, or its name), or why there is none: a
    /// `refused` error (nothing there accepts a connection); the engine's own failures are `protocolError`s,
    /// which say nothing of the database.
    public static func container(_ engine: DockerEngine, service: String, project: String, timeout: Double) throws(NetworkError)
        -> ContainerState
    {
        let found: ContainerState?
        do { found = try engine.container(service: service, project: project, timeout: timeout) } catch {
            throw .protocolError("the Docker engine at \(engine.socketPath): \(error)")
        }
        guard let found else { throw .refused("no container for `\(service)` on the Docker engine") }
        guard found.status == "running" else {
            throw .refused("its container \(found.name) is \(found.status) (exit code \(found.exitCode))")
        }
        return found
    }

    /// Whether the server in the container accepts a connection on its socket, as `pg_isready` in it would
    /// tell: the socket connected to, or a `refused` error saying why not.
    public static func check(_ engine: DockerEngine, service: String, project: String, port: Int, timeout: Double)
        throws(NetworkError) -> String
    {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        let c = try container(engine, service: service, project: project, timeout: timeout)
        let exec: DockerEngine.Exec
        do { exec = try engine.exec(c.id, command: ["/bin/sh", "-c", script], environment: ["PGPORT=\(port)"], timeout: timeout) } catch {
            throw .protocolError("docker exec in \(c.name): \(error)")
        }
        shutdown(exec.socket.fd, Int32(SHUT_WR))
        var frames = OutputFrames()
        var said = frames.take(exec.leftover)
        while true {
            let chunk = try exec.socket.read(deadline: deadline)
            if chunk.isEmpty { break }
            said += frames.take(chunk)
        }
        let stderr = String(decoding: said.filter { $0.stream == 2 }.flatMap(\.bytes), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var code: Int?
        for _ in 0..<20 {
            code = try? engine.exitCode(ofExec: exec.id, timeout: max(0.1, Double((deadline - ContinuousClock.now).milliseconds) / 1000))
            if code != nil { break }
            usleep(20_000)
        }
        switch code {
        case 0: return "\(c.name) (docker exec)"
        case 3, 5: throw .refused("in \(c.name): \(stderr)")
        default: throw .protocolError("docker exec in \(c.name) ended \(code.map { "with \($0)" } ?? "without a status"): \(stderr)")
        }
    }
}

/// The frames a command's output comes in without a terminal (a byte naming the stream, three zero bytes, a
/// big-endian length, the bytes), read as they arrive.
struct OutputFrames {
    private var pending: [UInt8] = []

    mutating func take(_ bytes: [UInt8]) -> [(stream: UInt8, bytes: [UInt8])] {
        pending += bytes
        var out: [(stream: UInt8, bytes: [UInt8])] = []
        var i = 0
        while i + 8 <= pending.count {
            let length = Int(pending[i + 4]) << 24 | Int(pending[i + 5]) << 16 | Int(pending[i + 6]) << 8 | Int(pending[i + 7])
            guard i + 8 + length <= pending.count else { break }
            out.append((pending[i], Array(pending[(i + 8)..<(i + 8 + length)])))
            i += 8 + length
        }
        pending.removeFirst(i)
        return out
    }
}
