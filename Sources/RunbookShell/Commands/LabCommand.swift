import ArgumentParser
import CommandOptions
import Foundation
import Lab
import RunbookKit
import Runs

extension RbshCommand {
    /// `rbsh lab`: the local lab to try runbooks on.
    struct LabCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lab",
            abstract: "The local lab: PostgreSQL, Redis and the management API stub, with injectable faults.",
            subcommands: [
                Up.self, Down.self, Status.self, Flavour.self, Scale.self, Faults.self, Inject.self, Clear.self, Restart.self,
                ServeAPI.self,
                Hold.self,
            ]
        )
    }
}

extension RbshCommand.LabCommand {
    static func lab() -> Lab {
        let console = Console()
        return Lab(log: { console.line("lab: " + $0) })
    }

    static func requireState() throws -> LabState {
        guard let state = LabState.load() else {
            try? FileHandle.standardError.write(contentsOf: Data("rbsh: the lab is not up; start it with `rbsh lab up`\n".utf8))
            throw ExitCode(3)
        }
        return state
    }

    struct Up: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "up", abstract: "Start the lab (and print its URLs).")
        @Option(help: ArgumentHelp("Inject this fault once it is up.", valueName: "fault"))
        var fault: [String] = []

        @Option(
            help: ArgumentHelp(
                "Which platform: nested (rbsh's stub, with TLS), actuator (probe-api, plain HTTP) or compose (a Docker Compose project on the Docker engine).",
                valueName: "flavour"))
        var flavour: APIFlavour = .nested

        @Option(help: ArgumentHelp("Load this many times the task history (40: about 24 million task_results rows).", valueName: "times"))
        var scale = 1

        func run() throws {
            let state: LabState
            do { state = try RbshCommand.LabCommand.lab().up(flavour: flavour) } catch { throw fail("lab up: \(error)") }
            if scale > 1 {
                do { try RbshCommand.LabCommand.lab().scale(state, times: scale) } catch { throw fail("lab up --scale: \(error)") }
            }
            for f in fault {
                do { try LabFaults(state: state).inject(f) } catch { throw fail("inject \(f): \(error)") }
                print("lab: fault \(f) injected")
            }
            print(
                """
                The lab is up. While it is, rbsh uses it when no other target is given:
                  --postgres \(state.postgresURL)
                  --redis    \(state.redisURL)
                  --api      \(state.apiURL)
                """)
        }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop the lab and remove its data.")
        func run() throws { RbshCommand.LabCommand.lab().down() }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Say what of the lab is running, and which faults are in.")
        func run() throws {
            guard let state = LabState.load() else {
                print("the lab is not up")
                throw ExitCode(3)
            }
            let components = RbshCommand.LabCommand.lab().status(state)
            for c in components {
                print("\(c.name.padding(toLength: 9, withPad: " ", startingAt: 0)) \(c.running ? "up  " : "DOWN") \(c.detail)")
            }
            let faults = LabFaults(state: state)
            let active = LabFaults.all.filter { faults.isActive($0.name) }.map(\.name)
            print("faults    \(active.isEmpty ? "none" : active.joined(separator: ", "))")
            print("folder    \(state.directory)")
            if !components.allSatisfy(\.running) { throw ExitCode(1) }
        }
    }

    /// `rbsh lab flavour [NAME]`: which management API the lab serves, or serve the other one.
    struct Flavour: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "flavour",
            abstract: "Say which management API the lab serves, or serve another: nested or actuator.")
        @Argument(
            help: "nested (rbsh's stub: nested health JSON, HTTP and HTTPS) or actuator (probe-api: Actuator health JSON, plain HTTP).")
        var flavour: APIFlavour?

        func run() throws {
            var state = try RbshCommand.LabCommand.requireState()
            guard let flavour else {
                print("\(state.flavour.rawValue): \(state.flavour.summary)")
                return
            }
            do { try RbshCommand.LabCommand.lab().switchAPI(&state, to: flavour) } catch { throw fail("\(error)") }
            print("lab: the API is \(flavour.rawValue): \(flavour.summary)")
        }
    }

    /// `rbsh lab scale N`: more task history in a lab that is up.
    struct Scale: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scale",
            abstract: "Load N times the task history into the lab (40: about 24 million task_results rows), in PostgreSQL itself.")
        @Argument(help: "How many times the lab's usual history (2 or more).") var times: Int
        func run() throws {
            let state = try RbshCommand.LabCommand.requireState()
            guard times > 1 else { throw fail("scale takes 2 or more", code: 64) }
            do { try RbshCommand.LabCommand.lab().scale(state, times: times) } catch { throw fail("lab scale: \(error)") }
        }
    }

    struct Faults: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "faults", abstract: "List the faults the lab can inject.")
        func run() throws {
            let state = LabState.load()
            for f in LabFaults.all {
                let on = state.map { LabFaults(state: $0).isActive(f.name) } ?? false
                print("\(f.name)\(on ? " (in)" : "")\n    \(f.summary)\n    a correct diagnosis: \(f.expectation)")
            }
        }
    }

    struct Inject: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "inject", abstract: "Inject a fault.")
        @Argument(help: "The fault (see `rbsh lab faults`).") var fault: String
        func run() throws {
            let state = try RbshCommand.LabCommand.requireState()
            do { try LabFaults(state: state).inject(fault) } catch { throw fail("\(error)") }
            print("lab: fault \(fault) injected")
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "clear", abstract: "Clear a fault.")
        @Argument(help: "The fault (see `rbsh lab faults`).") var fault: String
        func run() throws {
            let state = try RbshCommand.LabCommand.requireState()
            do { try LabFaults(state: state).clear(fault) } catch { throw fail("\(error)") }
            print("lab: fault \(fault) cleared")
        }
    }

    /// `rbsh lab restart SERVICE`: the lab's service manager, as runbooks' fixes call it.
    struct Restart: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restart",
            abstract: "Restart one of the lab's services as a service manager would: api, postgres, redis or agents.")
        @Argument(help: "api, postgres, redis or agents.") var service: String
        func run() throws {
            let state = try RbshCommand.LabCommand.requireState()
            do { try LabFaults(state: state).restart(service) } catch { throw fail("\(error)") }
            print("lab: \(service) restarted")
        }
    }

    /// Runs the API stub in the foreground; `lab up` starts it in the background.
    struct ServeAPI: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve-api", abstract: "Serve the management API stub.", shouldDisplay: false)
        @Option var port: Int = 18000
        @Option var tlsPort: Int?
        @Option var certificate: String?
        @Option var key: String?
        @OptionGroup var behaviour: APIBehaviourOptions
        func run() throws {
            let env = ProcessInfo.processInfo.environment
            guard let db = env["RBSH_LAB_DATABASE_URL"], let redis = env["RBSH_LAB_REDIS_URL"] else {
                throw fail("serve-api needs RBSH_LAB_DATABASE_URL and RBSH_LAB_REDIS_URL", code: 64)
            }
            var tls: (port: Int, certificate: String, key: String)?
            if let tlsPort, let certificate, let key { tls = (tlsPort, certificate, key) }
            do {
                try APIStub(port: port, tls: tls, databaseURL: db, redisURL: redis, behaviour: behaviour.behaviour).serve()
            } catch { throw fail("\(error)") }
        }
    }

    /// Holds a fault in place until stopped; `lab inject` starts it in the background.
    struct Hold: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "hold", abstract: "Hold a fault in place.", shouldDisplay: false)
        @Argument var fault: String
        func run() throws {
            let state = try RbshCommand.LabCommand.requireState()
            do { try LabFaults(state: state).hold(fault) } catch { throw fail("\(error)") }
        }
    }
}

extension APIFlavour: ExpressibleByArgument {}
