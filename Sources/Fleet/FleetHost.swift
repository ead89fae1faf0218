import Foundation

/// One host of a fleet as ssh reaches it: the inventory's name for it and
/// the connection variables Ansible would use.
public struct FleetHost: Sendable, Hashable {
    /// As the inventory names it: in output, findings and transcripts.
    public var name: String
    /// `ansible_host`, else the name.
    public var address: String
    public var port: Int?
    public var user: String?
    public var privateKeyFile: String?
    /// `ansible_ssh_common_args`, split as a shell line.
    public var commonArgs: [String]

    public init(
        name: String, address: String? = nil, port: Int? = nil, user: String? = nil, privateKeyFile: String? = nil,
        commonArgs: [String] = []
    ) {
        self.name = name
        self.address = address ?? name
        self.port = port
        self.user = user
        self.privateKeyFile = privateKeyFile
        self.commonArgs = commonArgs
    }
}

extension Inventory {
    /// How to reach `host`, from its merged variables; an error names a bad one.
    public func fleetHost(_ host: String) throws(InventoryError) -> FleetHost {
        let vars = variables(of: host)
        var port: Int?
        if let p = vars["ansible_port"] {
            guard let n = Int(p), (1...65535).contains(n) else { throw InventoryError("\(host): ansible_port `\(p)` is not a port") }
            port = n
        }
        let args = try vars["ansible_ssh_common_args"].map { line throws(InventoryError) in
            try Inventory.splitShellWords(line) { InventoryError("\(host): ansible_ssh_common_args: \($0)") }
        }
        return FleetHost(
            name: host, address: vars["ansible_host"], port: port, user: vars["ansible_user"],
            privateKeyFile: vars["ansible_ssh_private_key_file"].map { ($0 as NSString).expandingTildeInPath }, commonArgs: args ?? [])
    }
}
