import ArgumentParser
import CommandOptions
import Fleet
import Foundation
import Runs

extension RbshCommand {
    /// `rbsh hosts INVENTORY [--limit PATTERN]`: the hosts an Ansible
    /// inventory and pattern select, with what rbsh connects with.
    struct Hosts: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hosts",
            abstract: "List the hosts an Ansible inventory (and --limit pattern) selects, as Ansible would.",
            discussion: """
                INVENTORY is what ansible -i takes: an INI or YAML file, an executable that answers --list, or a comma \
                list such as web1,web2,. Hosts are named as the inventory names them; the connection variables shown \
                are ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file and ansible_ssh_common_args, \
                merged as Ansible merges them (all, then groups by depth and name, then the host).
                """)

        @Argument(help: "An inventory file, an executable inventory, or a comma list (web1,web2,).")
        var inventory: String

        @Option(help: ArgumentHelp("Ansible's host patterns: a group, a host, a:b, a:&b, a:!b, globs, ~regex.", valueName: "pattern"))
        var limit: String?

        @Option(help: ArgumentHelp("text or json.", valueName: "format"))
        var format: OutputFormat = .text

        static let connectionVars = [
            "ansible_host", "ansible_port", "ansible_user", "ansible_ssh_private_key_file", "ansible_ssh_common_args",
        ]

        struct Line: Encodable {
            var host: String
            var groups: [String]
            var vars: [String: String]
        }

        func run() throws {
            let inv: Inventory
            do { inv = try Inventory.load(inventory) } catch { throw fail(error.description, code: 64) }
            let selected: [String]
            do { selected = try HostPattern(limit ?? "all").select(from: inv) } catch { throw fail(error.description, code: 64) }
            let lines = selected.map { host in
                Line(
                    host: host,
                    groups: inv.groups(of: host).map(\.name).filter { $0 != "all" }.sorted(),
                    vars: inv.variables(of: host).filter { Self.connectionVars.contains($0.key) })
            }
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: (try? encoder.encode(lines)) ?? Data("[]".utf8), as: UTF8.self))
            case .text:
                print("hosts (\(lines.count)):")
                for l in lines {
                    let v = l.vars
                    var how = v["ansible_host"] ?? l.host
                    if let p = v["ansible_port"] { how += ":\(p)" }
                    if let u = v["ansible_user"] { how = "\(u)@" + how }
                    print("  \(l.host)  \(how)" + (l.groups.isEmpty ? "" : "  [\(l.groups.joined(separator: ", "))]"))
                }
            }
            if selected.isEmpty { throw ExitCode(1) }
        }
    }
}
