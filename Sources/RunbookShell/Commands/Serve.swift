import ArgumentParser
import CommandOptions
import Foundation
import Lab
import Runs

extension RbshCommand {
    /// `rbsh serve`: becomes rbsh-serve, the receiver: the program beside
    /// rbsh (in the package, a link to rbsh itself, which run by that name
    /// is the receiver), so a service manager's signals reach it.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve", abstract: ServeHelp.abstract, discussion: ServeHelp.discussion)

        @Option(help: ArgumentHelp("Where to listen.", valueName: "host:port"))
        var listen = "127.0.0.1:9095"

        @OptionGroup var targets: TargetOptions

        /// rbsh-serve beside this rbsh, else on PATH.
        static func program() -> String? {
            let beside = (Daemon.selfExecutable as NSString).deletingLastPathComponent + "/rbsh-serve"
            if FileManager.default.isExecutableFile(atPath: beside) { return beside }
            for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
                let path = "\(dir)/rbsh-serve"
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
            return nil
        }

        func run() throws {
            guard let program = Self.program() else {
                throw fail("rbsh-serve, the receiver, is neither beside rbsh nor on PATH (it is built and packaged with rbsh)")
            }
            let args = CommandLine.arguments
            let rest = args.firstIndex(of: "serve").map { Array(args[($0 + 1)...]) } ?? []
            let argv = [program] + rest
            // The receiver reads no lab itself: the lab's targets, when one is up, go with it.
            if let lab = LabState.load()?.labTargets.environmentValue { setenv(LabTargets.environmentName, lab, 1) }
            // Replaced by the receiver: the same process, so a service manager's signals reach it.
            var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
            execv(program, &cArgs)
            throw fail("cannot run \(program): \(String(cString: strerror(errno)))")
        }
    }
}
