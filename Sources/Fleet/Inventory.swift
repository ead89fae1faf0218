import Foundation

/// Hosts and groups as an Ansible inventory lists them, with each host's
/// variables merged the way Ansible merges them.
public struct Inventory: Sendable, Hashable {
    public struct Group: Sendable, Hashable {
        public var name: String
        /// Hosts listed in the group itself, in order.
        public var hosts: [String] = []
        public var children: [String] = []
        public var vars: [String: String] = [:]
        public init(name: String) { self.name = name }
    }

    /// Every host, in the order the inventory first names it.
    public private(set) var hosts: [String] = []
    public private(set) var groups: [String: Group] = [:]
    /// Variables set on hosts themselves.
    public private(set) var hostVars: [String: [String: String]] = [:]

    public init() {
        groups["all"] = Group(name: "all")
        groups["ungrouped"] = Group(name: "ungrouped")
    }

    // MARK: - Building

    mutating func ensureGroup(_ name: String) {
        if groups[name] == nil { groups[name] = Group(name: name) }
    }

    mutating func addHost(_ host: String, to group: String?, vars: [String: String] = [:]) {
        if !hosts.contains(host) { hosts.append(host) }
        if let group {
            ensureGroup(group)
            if !(groups[group]?.hosts.contains(host) ?? true) { groups[group]?.hosts.append(host) }
        }
        for (k, v) in vars { hostVars[host, default: [:]][k] = v }
    }

    mutating func addChild(_ child: String, to parent: String) {
        ensureGroup(parent)
        ensureGroup(child)
        if !(groups[parent]?.children.contains(child) ?? true) { groups[parent]?.children.append(child) }
    }

    mutating func setGroupVars(_ group: String, _ vars: [String: String]) {
        ensureGroup(group)
        for (k, v) in vars { groups[group]?.vars[k] = v }
    }

    /// Hosts in no group but `all` go to `ungrouped`, as Ansible puts them.
    mutating func settle() {
        var grouped: Set<String> = []
        for (name, g) in groups where name != "all" && name != "ungrouped" { grouped.formUnion(g.hosts) }
        for h in hosts where !grouped.contains(h) && !(groups["ungrouped"]?.hosts.contains(h) ?? false) {
            groups["ungrouped"]?.hosts.append(h)
        }
        // Every other top-level group is a child of all.
        let nested = Set(groups.values.flatMap(\.children))
        for name in groups.keys.sorted() where name != "all" && !nested.contains(name) {
            if !(groups["all"]?.children.contains(name) ?? true) { groups["all"]?.children.append(name) }
        }
    }

    // MARK: - Reading

    /// The groups a host belongs to, directly or through children, with their depth from `all`.
    public func groups(of host: String) -> [(name: String, depth: Int)] {
        var depth: [String: Int] = ["all": 0]
        var queue = ["all"]
        while !queue.isEmpty {
            let g = queue.removeFirst()
            for c in groups[g]?.children ?? [] where depth[c] == nil || (depth[c] ?? 0) < (depth[g] ?? 0) + 1 {
                depth[c] = (depth[g] ?? 0) + 1
                queue.append(c)
            }
        }
        return groups.keys.filter { hostsIn($0).contains(host) }.map { ($0, depth[$0] ?? 1) }
    }

    /// Every host of a group, its children's included, in inventory order.
    public func hostsIn(_ group: String) -> [String] {
        if group == "all" { return hosts }
        var seen: Set<String> = []
        var members: Set<String> = []
        var stack = [group]
        while let g = stack.popLast() {
            guard seen.insert(g).inserted, let grp = groups[g] else { continue }
            members.formUnion(grp.hosts)
            stack += grp.children
        }
        return hosts.filter { members.contains($0) }
    }

    /// A host's variables as Ansible resolves them: `all`'s, then each group's
    /// by depth (parents before children; by name at the same depth), then the host's own.
    public func variables(of host: String) -> [String: String] {
        var out: [String: String] = [:]
        let ordered = groups(of: host).sorted { ($0.depth, $0.name) < ($1.depth, $1.name) }
        for (name, _) in ordered { out.merge(groups[name]?.vars ?? [:]) { _, new in new } }
        out.merge(hostVars[host] ?? [:]) { _, new in new }
        return out
    }
}

/// A one-line reason an inventory or a pattern cannot be used.
public struct InventoryError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
