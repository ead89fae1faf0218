import ArgumentParser
import Foundation
import RunbookKit
import Runs

extension RbshCommand {
    /// `rbsh approve CODE`: another operator's signed yes to exactly the fix a request names.
    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve",
            abstract: "Approve a fix another rbsh waits for: show its request, sign it with your SSH key.",
            discussion: """
                Reads the request from the config's approvals folder (or rbsh serve), shows exactly what will run and where, \
                and writes an approval signed with signing.key as signing.principal (ssh-keygen -Y sign, \
                namespace rbsh-approval). Exit status: 0 approved, 1 not approved, 3 no such request or it cannot be signed.
                """)

        @Argument(help: "The request's code, as the waiting rbsh shows it.") var code: String
        @Option(
            name: .customLong("config"),
            help: ArgumentHelp("Config file (else ./rbsh.yaml, then $XDG_CONFIG_HOME/rbsh/config.yaml).", valueName: "path"))
        var config: String?
        @Flag(help: "Approve without asking (what is approved is still shown).") var yes = false

        func run() throws {
            let config: RbshConfig
            do { config = try RbshConfig.load(explicit: self.config, environment: ProcessInfo.processInfo.environment) } catch {
                throw fail(error.description, code: 64)
            }
            guard let approvals = config.approvals else {
                throw fail("the config has no approvals section: nowhere to find the request")
            }
            let store = approvals.store()
            guard let key = config.signing.key, let principal = config.signing.principal else {
                throw fail("approving signs with your SSH key: the config's signing needs key and principal")
            }
            let request: ApprovalRequest
            do { request = try ApprovalSigning.request(code, in: store) } catch { throw fail(error.description) }
            for line in ApprovalSigning.describe(request) { print(line) }
            guard principal != request.requester else {
                throw fail("you (\(principal)) made this request: another operator approves it", code: 1)
            }
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else { throw fail("nobody to ask: give --yes to approve without a terminal", code: 1) }
                print("Approve this as \(principal)? [y/N] ", terminator: "")
                guard let answer = readLine()?.lowercased(), answer == "y" || answer == "yes" else {
                    throw fail("not approved", code: 1)
                }
            }
            do {
                let place = try ApprovalSigning.approve(request, in: store, key: key, principal: principal)
                print("approved \(request.code) as \(principal): \(place)")
            } catch {
                throw fail(error.description)
            }
        }
    }
}
