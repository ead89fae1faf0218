import Clients
import Foundation
import Testing
import TestSupport

@testable import Fleet

/// ansible-core, which the test command installs: the reference for inventories and patterns.
enum AnsiblePeer {
    static let inventoryTool = "/usr/bin/ansible-inventory"
    static let ansible = "/usr/bin/ansible"
    /// Where the test command runs, a missing ansible-core fails the tests instead of skipping them.
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: ansible) || LabFixture.isRequired }

    static let dir: String = {
        let d = NSTemporaryDirectory() + "rbsh-fleet-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: d + "/ansible-tmp", withIntermediateDirectories: true)
        return d
    }()

    static func run(_ argv: [String]) -> String {
        let env = [
            "ANSIBLE_LOCAL_TEMP": dir + "/ansible-tmp", "ANSIBLE_HOME": dir + "/ansible-home", "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False", "ANSIBLE_LOCALHOST_WARNING": "False",
        ]
        let out = ShellRunner(captureLimit: 1 << 20).run(argv: argv, environment: env, timeout: 60)
        return out.output.text
    }
}

/// The same inventories read by rbsh and by Ansible: the same hosts, the
/// same connection variables, the same hosts for each pattern.
@Suite(.enabled(if: AnsiblePeer.isInstalled))
struct AnsibleComparisonTests {
    static let connectionVars: Set<String> = [
        "ansible_host", "ansible_port", "ansible_user", "ansible_ssh_private_key_file", "ansible_ssh_common_args",
    ]

    /// Inventory files of each kind Ansible takes, written once.
    static let inventories: [String] = {
        let d = AnsiblePeer.dir
        let ini = """
            lone ansible_host=10.0.0.9
            # a comment
            [web]
            web[01:03].example.com ansible_user=deploy
            api1:2222
            [db]
            db-[a:c] ansible_port=5433
            db-primary ansible_host=10.0.1.1 ansible_ssh_common_args="-o ProxyJump=bastion -o ConnectTimeout=3"
            [agents]
            agent-[1:12:3] ansible_user=probe
            [prod:children]
            web
            db
            [edge:children]
            agents
            [web:vars]
            ansible_user=www
            ansible_ssh_common_args='-o ProxyJump=bastion'
            [all:vars]
            ansible_user=ops
            [prod:vars]
            ansible_ssh_private_key_file=~/.ssh/prod
            [db:vars]
            ansible_user=postgres
            """
        let yaml = """
            all:
              vars:
                ansible_user: ops
              hosts:
                lone:
                  ansible_host: 10.0.0.9
              children:
                prod:
                  vars:
                    ansible_ssh_private_key_file: ~/.ssh/prod
                  children:
                    web:
                      vars:
                        ansible_user: www
                      hosts:
                        web01.example.com:
                        web02.example.com:
                          ansible_port: 2202
                    db:
                      hosts:
                        db-a:
                          ansible_user: dba
                        db-b:
                    stage:
                      hosts:
                        web02.example.com:
                      vars:
                        ansible_user: stager
                agents:
                  hosts:
                    agent-[01:04]:
                      ansible_ssh_common_args: -o StrictHostKeyChecking=yes
            """
        let withMeta = """
            #!/bin/sh
            if [ "$1" = "--list" ]; then cat <<'JSON'
            {"agents": {"hosts": ["agent-1", "agent-2"], "vars": {"ansible_user": "probe"}},
             "edge": {"children": ["agents"], "vars": {"ansible_port": 2222}},
             "db": ["db-1"],
             "_meta": {"hostvars": {"agent-1": {"ansible_host": "10.9.0.1"}, "db-1": {"ansible_user": "postgres", "ansible_port": 5432}}}}
            JSON
            else echo '{}'; fi
            """
        let perHost = """
            #!/bin/sh
            case "$1" in
            --list) echo '{"web": {"hosts": ["w1", "w2"], "vars": {"ansible_user": "www"}}, "all": {"vars": {"ansible_port": 2200}}}' ;;
            --host) if [ "$2" = w1 ]; then echo '{"ansible_host": "10.8.0.1", "ansible_user": "root"}'; else echo '{}'; fi ;;
            esac
            """
        try? ini.write(toFile: d + "/hosts.ini", atomically: true, encoding: .utf8)
        try? yaml.write(toFile: d + "/hosts.yml", atomically: true, encoding: .utf8)
        try? ExecutableFile.write(withMeta, to: d + "/dynamic.sh")
        try? ExecutableFile.write(perHost, to: d + "/per-host.sh")
        return [d + "/hosts.ini", d + "/hosts.yml", d + "/dynamic.sh", d + "/per-host.sh", "web1,web2.example.com,10.0.0.7,"]
    }()

    static func name(_ inventory: String) -> String { (inventory as NSString).lastPathComponent }

    @Test(arguments: inventories)
    func theSameHostsWithTheSameConnectionVariables(inventory: String) throws {
        let listed = AnsiblePeer.run([AnsiblePeer.inventoryTool, "-i", inventory, "--list"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [String: Any], "\(listed)")
        let hostvars = ((json["_meta"] as? [String: Any])?["hostvars"] as? [String: Any]) ?? [:]
        let inv = try Inventory.load(inventory)
        // Every host Ansible lists, whether or not it has variables.
        var ansibleHosts: Set<String> = Set(hostvars.keys)
        for (_, v) in json { for h in ((v as? [String: Any])?["hosts"] as? [String]) ?? [] { ansibleHosts.insert(h) } }
        #expect(Set(inv.hosts) == ansibleHosts, "\(Self.name(inventory))")
        for host in inv.hosts {
            let theirs = ((hostvars[host] as? [String: Any]) ?? [:]).filter { Self.connectionVars.contains($0.key) }.mapValues {
                Inventory.text($0)
            }
            let ours = inv.variables(of: host).filter { Self.connectionVars.contains($0.key) }
            #expect(ours == theirs, "\(Self.name(inventory)): \(host)")
        }
    }

    static let patterns = [
        "all", "web", "prod:!db", "prod:&db", "web*", "~db-[ab]", "prod[0]", "prod[1:2]", "lone,db-a", "*.example.com",
        "web:db-b", "agents:!agent-4", "edge", "!lone", "db[-1]", "prod[0-1]",
    ]

    @Test(arguments: [inventories[0], inventories[1]], patterns)
    func aPatternSelectsWhatAnsibleSelects(inventory: String, pattern: String) throws {
        let out = AnsiblePeer.run([AnsiblePeer.ansible, "-i", inventory, pattern, "--list-hosts"])
        // Hosts are the indented lines under "hosts (N):"; warnings (which may wrap) are not indented.
        let theirs = out.split(separator: "\n").filter { $0.hasPrefix(" ") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.hasPrefix("hosts (") }
        let ours = try HostPattern(pattern).select(from: try Inventory.load(inventory))
        // The same hosts, each once. (The order `all` lists them in follows Ansible's group
        // bookkeeping, not the file; rbsh keeps the inventory's order.)
        #expect(Set(ours) == Set(theirs) && ours.count == theirs.count, "\(Self.name(inventory)) \(pattern): ansible said \(out)")
        if !pattern.contains("all"), !pattern.hasPrefix("!") {
            #expect(ours == theirs, "\(Self.name(inventory)) \(pattern): in Ansible's order")
        }
    }
}
