import AlertReceiving
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import CommandOptions
import RunbookKit
import Runs

/// `rbsh serve`: Alertmanager's webhook receiver. Each alert a rule
/// matches starts an unattended run of its runbook.
public struct ServeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rbsh serve", abstract: ServeHelp.abstract, discussion: ServeHelp.discussion)

    @Option(help: ArgumentHelp("Where to listen.", valueName: "host:port"))
    var listen = "127.0.0.1:9095"

    @OptionGroup var targets: TargetOptions

    public init() {}

    /// Whether this process was started as rbsh-serve (the program, or the
    /// package's link of that name to rbsh).
    public static var isInvoked: Bool {
        (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) == "rbsh-serve"
    }

    public func run() throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (1...65535).contains(port)
        else {
            throw fail("--listen takes HOST:PORT, such as 127.0.0.1:9095; got `\(listen)`", code: 64)
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let config: RbshConfig
        do { config = try RbshConfig.load(explicit: targets.config, environment: ProcessInfo.processInfo.environment) } catch {
            throw fail("\(error)", code: 64)
        }
        let serve = config.alerts.serve
        guard let token = serve.token ?? ProcessInfo.processInfo.environment["RBSH_SERVE_TOKEN"], !token.isEmpty else {
            throw fail("serve needs a token: serve.token in the config, or RBSH_SERVE_TOKEN", code: 64)
        }
        // The lab is rbsh's to read: `rbsh serve` hands its targets over when one is up.
        let resolved: ResolvedTargets
        do { resolved = try targets.resolve(lab: LabTargets.from(environment: ProcessInfo.processInfo.environment)) } catch {
            throw fail("\(error)", code: 64)
        }

        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = {
            var l = Logger(label: "rbsh-serve")
            l.logLevel = .info
            return l
        }()
        let catalogue = CatalogueBox(directories: targets.runbookDirectories)
        let memory = SessionMemory(config: config)
        let run = AlertRun(
            targets: resolved.targets, secrets: resolved.secrets + [token], catalogue: catalogue,
            notify: serve.notify, logger: logger, memory: memory, signer: config.signing.signer, approvals: config.approvals)
        let queue: AlertRunQueue
        do {
            queue = try AlertRunQueue(
                concurrency: serve.concurrency, capacity: serve.queue, dedup: serve.dedup, transcripts: serve.transcripts,
                logger: logger, execute: { job, stop in run(job, stop: stop) })
        } catch { throw fail(error.description) }
        let rules = RuleBox(config.alerts.rules)
        if rules.rules.isEmpty { logger.warning("no alert rules: every alert will be answered and logged, and start nothing") }
        queue.start()

        // SIGHUP: the rules again, from the same file; a broken file keeps the old ones.
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        let configPath = targets.config
        hangup.setEventHandler {
            do {
                let fresh = try RbshConfig.load(explicit: configPath, environment: ProcessInfo.processInfo.environment)
                rules.rules = fresh.alerts.rules
                catalogue.reload()
                logger.info("config and runbooks reloaded", metadata: ["rules": "\(fresh.alerts.rules.count)"])
            } catch {
                logger.error("config not reloaded; the old rules stay", metadata: ["error": "\(error)"])
            }
        }
        hangup.resume()
        // SIGTERM or SIGINT: no queued run starts from the moment it arrives (the server then stops).
        let stopSources = [SIGTERM, SIGINT].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { queue.stopTaking() }
            source.resume()
            return source
        }

        let router = AlertServer.router(queue: queue, rules: rules, token: token, maxBody: serve.maxBody, logger: logger)
        if memory.enabled {
            MemoryRoutes.add(
                to: router, memory: memory, folder: serve.transcripts, token: token, maxBytes: serve.maxTranscript, logger: logger)
        }
        ApprovalRoutes.add(to: router, folder: serve.transcripts + "/approvals", token: token, logger: logger)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "rbsh"),
            onServerRunning: { channel in
                logger.info("listening", metadata: ["address": "\(channel.localAddress?.description ?? "\(host):\(port)")"])
            },
            logger: logger)
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task {
            do { try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint]) } catch { failure.set("\(error)") }
            done.signal()
        }
        done.wait()
        hangup.cancel()
        for source in stopSources { source.cancel() }
        if let why = failure.value { throw fail("serve: \(why)") }
        logger.info("stopping: no more alerts taken; waiting for running runs", metadata: ["grace_s": "\(serve.grace)"])
        queue.drain(grace: serve.grace)
        logger.info("stopped")
    }

    /// Prints a one-line error and exits with `code`.
    func fail(_ message: String, code: Int32 = 3) -> ExitCode {
        try? FileHandle.standardError.write(contentsOf: Data("rbsh serve: \(message)\n".utf8))
        return ExitCode(code)
    }
}

/// What the server task failed with, read after it ends.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var message: String?
    var value: String? { lock.withLock { message } }
    func set(_ m: String) { lock.withLock { message = m } }
}
