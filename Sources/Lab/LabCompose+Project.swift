import Foundation

/// The compose lab's files: docker-compose.yml, deployment/.env, and what the containers read (PostgreSQL's
/// start script and settings, Redis's settings), all in the lab's folder.
extension LabCompose {
    /// The deployment's .env as the containers read it: the services by their Compose names.
    func environmentFile(database: String = "network_probe") -> String {
        """
        # network_probe deployment
        DATABASE_URL=postgres://postgres:\(state.password)@postgres:5432/\(database)
        REDIS_URL=redis://:\(state.password)@redis:6379/0
        MAX_CONNECTIONS=200
        DB_POOL_SIZE=20

        """
    }

    func writeProject() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: filesDir, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: (state.envFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try environmentFile().write(toFile: state.envFile, atomically: true, encoding: .utf8)
        chmod(state.envFile, 0o600)

        let bin = try LabPostgres.binDirectory()
        let start = """
            #!/bin/sh
            # PostgreSQL in its container: a cluster made on first start in the volume, then the server, as postgres.
            set -e
            D=/var/lib/postgresql/data
            mkdir -p "$D" && chown postgres:postgres "$D" && chmod 700 "$D"
            as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
            if [ ! -s "$D/PG_VERSION" ]; then
              as_postgres \(bin)/initdb -D "$D" -U postgres --pwfile=/lab/pwfile --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --no-locale
              cat /lab/postgresql.conf >> "$D/postgresql.conf"
              echo "host all all 0.0.0.0/0 scram-sha-256" >> "$D/pg_hba.conf"
            fi
            exec setpriv --reuid=postgres --regid=postgres --init-groups \(bin)/postgres -D "$D"

            """
        try start.write(toFile: filesDir + "/postgres-start.sh", atomically: true, encoding: .utf8)
        let conf = """

            # rbsh lab (compose)
            listen_addresses = '*'
            port = 5432
            unix_socket_directories = '/tmp'
            max_connections = 100
            shared_buffers = 256MB
            shared_preload_libraries = 'pg_stat_statements'
            pg_stat_statements.track = all
            log_min_duration_statement = 1000
            log_lock_waits = on
            log_line_prefix = '%m [%p] %q%u@%d '
            fsync = off
            synchronous_commit = off
            full_page_writes = off

            """
        try conf.write(toFile: filesDir + "/postgresql.conf", atomically: true, encoding: .utf8)
        try state.password.write(toFile: filesDir + "/pwfile", atomically: true, encoding: .utf8)
        chmod(filesDir + "/pwfile", 0o600)
        if let pw = getpwnam("postgres") { Foundation.chown(filesDir + "/pwfile", pw.pointee.pw_uid, pw.pointee.pw_gid) }
        let redis = """
            bind 0.0.0.0
            port 6379
            protected-mode no
            dir /tmp
            save ""
            appendonly no
            maxmemory 64mb
            maxmemory-policy allkeys-lru
            requirepass \(state.password)

            """
        try redis.write(toFile: filesDir + "/redis.conf", atomically: true, encoding: .utf8)
        chmod(filesDir + "/redis.conf", 0o600)
        try composeYAML().write(toFile: composeFile, atomically: true, encoding: .utf8)
    }

    /// Version 2.4, which both docker-compose 1.x and `docker compose` read with `mem_limit`.
    func composeYAML() throws -> String {
        let runtime = Self.swiftRuntimeDirectory().map { "\n      - \($0):\($0):ro" } ?? ""
        return """
            # The network probe platform as the guide deploys it, for rbsh's lab: one image (an empty root), the
            # machine's /usr mounted read-only; ports on 127.0.0.1 only.
            version: "2.4"
            services:
              management:
                image: \(Self.image)
                command: ["/app/probe-api", "--listen", "0.0.0.0:8000", "--require-database"]
                env_file: deployment/.env
                volumes:
                  - /usr:/usr:ro
                  - \(Daemon.selfExecutable):/app/probe-api:ro\(runtime)
                ports:
                  - "127.0.0.1:\(state.apiPort):8000"
                depends_on:
                  postgres: {condition: service_healthy}
                  redis: {condition: service_started}
                # The services' names from /etc/hosts, never from a resolver: a stopped service's name is asked of no
                # DNS server beyond the machine (Docker's forwards what it does not know), and fails at once.
                extra_hosts: ["postgres:\(Self.subnet).10", "redis:\(Self.subnet).11"]
                networks: {default: {ipv4_address: "\(Self.subnet).12"}}
                mem_limit: 2g
                memswap_limit: 2g
                restart: unless-stopped
              postgres:
                image: \(Self.image)
                command: ["/bin/sh", "/lab/postgres-start.sh"]
                volumes:
                  - /usr:/usr:ro
                  - ./compose:/lab:ro
                  - postgres_data:/var/lib/postgresql/data
                networks: {default: {ipv4_address: "\(Self.subnet).10"}}
                ports:
                  - "127.0.0.1:\(state.postgresPort):5432"
                shm_size: 256m
                healthcheck:
                  test: ["CMD", "\(try LabPostgres.binDirectory())/pg_isready", "-h", "127.0.0.1", "-U", "postgres"]
                  interval: 1s
                  timeout: 3s
                  retries: 60
                mem_limit: 4g
                restart: unless-stopped
              redis:
                image: \(Self.image)
                command: ["/usr/bin/redis-server", "/lab/redis.conf"]
                volumes:
                  - /usr:/usr:ro
                  - ./compose:/lab:ro
                ports:
                  - "127.0.0.1:\(state.redisPort):6379"
                networks: {default: {ipv4_address: "\(Self.subnet).11"}}
                mem_limit: 1g
                restart: unless-stopped
            networks:
              default:
                ipam: {config: [{subnet: "\(Self.subnet).0/24"}]}
            volumes:
              postgres_data:

            """
    }
}
