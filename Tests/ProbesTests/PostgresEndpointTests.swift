import Clients
import RunbookKit
import Testing

/// Where a runbook's connection check dials for the PostgreSQL target is where libpq connects: the target is
/// read as libpq itself reads it (compared with libpq's own parse), a socket directory is a socket file, and
/// what the target leaves out comes from the environment, then libpq's defaults.
@Suite struct PostgresEndpointTests {
    static let targets = [
        "postgres://app:secret@db.internal:6543/network_probe",
        "postgresql://postgres@/network_probe?host=/var/run/postgresql&port=15432",
        "postgresql://%2Fsrv%2Fpg/network_probe",
        "postgresql://[::1]:5433/network_probe?user=probe",
        "postgresql://h1:5001,h2:5002/db",
        "host=/tmp/pg port=5544 dbname=network_probe user=postgres",
        "host = 'db one' port=5432 dbname='net\\'work'",
        "host=/srv/my\\ pg dbname=net\\\\probe user='a b'",
        "hostaddr=127.0.0.1 port=25432 dbname=network_probe",
        "dbname=network_probe",
    ]

    @Test(arguments: targets) func readAsLibpqReadsIt(target: String) throws {
        let libpq = try #require(PostgresConnectionString.options(target))
        let ours = PostgresEndpoint(conninfo: target, environment: [:], directoryExists: { $0 == "/var/run/postgresql" })
        let firstHost = (libpq["host"]?.split(separator: ",").first).map(String.init)
        #expect(ours.host == firstHost ?? libpq["hostaddr"] ?? "/var/run/postgresql")
        #expect(ours.port == (libpq["port"]?.split(separator: ",").first).flatMap { Int($0) } ?? 5432)
        #expect(ours.database == libpq["dbname"])
        #expect(ours.user == libpq["user"])
    }

    @Test func aSocketDirectoryIsDialledAtItsSocketFile() {
        let e = PostgresEndpoint(conninfo: "postgresql:///network_probe?host=/srv/pg&port=6000", environment: [:])
        #expect(e.isSocket)
        #expect(e.address == "/srv/pg/.s.PGSQL.6000")
        #expect(PostgresEndpoint(conninfo: "postgres://[::1]:5433/x", environment: [:]).address == "[::1]:5433")
        #expect(PostgresEndpoint(conninfo: "postgres://db:5433/x", environment: [:]).address == "db:5433")
    }

    @Test func whatTheTargetLeavesOutComesFromTheEnvironmentThenTheDefaults() {
        let env = ["PGHOST": "10.0.0.9", "PGPORT": "6432", "PGDATABASE": "network_probe"]
        let fromEnv = PostgresEndpoint(conninfo: nil, environment: env)
        #expect(fromEnv.address == "10.0.0.9:6432")
        #expect(fromEnv.database == "network_probe")
        #expect(PostgresEndpoint(conninfo: "dbname=x port=7000", environment: env).address == "10.0.0.9:7000")
        // No host anywhere: the socket directory libpq was built with, where this machine has one.
        let none = PostgresEndpoint(conninfo: "", environment: [:], directoryExists: { $0 == "/tmp" })
        #expect(none.address == "/tmp/.s.PGSQL.5432")
    }

    @Test func aContainerIsReachedThroughDockerExec() {
        let e = PostgresEndpoint(conninfo: "docker-exec://postgres/network_probe?user=postgres", environment: ["PGHOST": "x"])
        #expect(e.throughContainer)
        #expect(e.host == "postgres")
        #expect(e.database == "network_probe")
        #expect(e.user == "postgres")
        #expect(e.address == "docker-exec://postgres:5432")
    }

    @Test func theScopeNamesTheAddress() {
        let scope = Targets(postgres: "host=/srv/pg port=6000 dbname=network_probe").scopeValues
        #expect(scope["postgres.address"] == .string("/srv/pg/.s.PGSQL.6000"))
        #expect(scope["postgres.host"] == .string("/srv/pg"))
        #expect(scope["postgres.port"] == .number(6000))
        #expect(scope["postgres.database"] == .string("network_probe"))
    }
}
