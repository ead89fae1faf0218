import Clients
import Foundation
import Yams

extension Inventory {
    /// Reads what Ansible takes as `-i`: a comma list (`web1,web2,`), an
    /// executable dynamic inventory, a YAML inventory, or an INI one.
    public static func load(_ source: String, run: (String, [String]) throws -> String = Inventory.runScript) throws(InventoryError)
        -> Inventory
    {
        let fm = FileManager.default
        if !fm.fileExists(atPath: source), source.contains(",") { return commaList(source) }
        guard fm.fileExists(atPath: source) else {
            throw InventoryError("no inventory \(source) (a file, an executable, or a comma list such as web1,web2,)")
        }
        if fm.isExecutableFile(atPath: source) {
            do { return try dynamic(source, run: run) } catch let e as InventoryError { throw e } catch {
                throw InventoryError("\(source): \(error)")
            }
        }
        guard let text = try? String(contentsOfFile: source, encoding: .utf8) else { throw InventoryError("cannot read \(source)") }
        let ext = (source as NSString).pathExtension.lowercased()
        if ext == "yaml" || ext == "yml" || text.hasPrefix("---") { return try yaml(text, file: source) }
        // Not obviously YAML: YAML if it parses as a mapping with groups, else INI.
        if let parsed = try? yaml(text, file: source), !parsed.hosts.isEmpty { return parsed }
        return try ini(text, file: source)
    }

    /// `web1,web2,`: hosts, ungrouped.
    public static func commaList(_ list: String) -> Inventory {
        var inv = Inventory()
        for part in list.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { inv.addHost(name, to: nil) }
        }
        inv.settle()
        return inv
    }

    // MARK: - INI

    public static func ini(_ text: String, file: String) throws(InventoryError) -> Inventory {
        var inv = Inventory()
        enum Section { case hosts(String?), vars(String), children(String) }
        var section = Section.hosts(nil)
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            func fail(_ m: String) -> InventoryError { InventoryError("\(file):\(n + 1): \(m)") }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw fail("a section is [name], [name:vars] or [name:children]") }
                let inner = String(line.dropFirst().dropLast())
                let parts = inner.split(separator: ":", maxSplits: 1).map(String.init)
                switch parts.count == 2 ? parts[1] : nil {
                case nil:
                    section = .hosts(inner)
                    inv.ensureGroup(inner)
                case "vars": section = .vars(parts[0])
                case "children": section = .children(parts[0])
                default: throw fail("unknown section kind `\(parts[1])` (vars or children)")
                }
                continue
            }
            let words = try splitShellWords(line, fail: fail)
            switch section {
            case .hosts(let group):
                guard let first = words.first else { continue }
                var vars: [String: String] = [:]
                for w in words.dropFirst() {
                    guard let eq = w.firstIndex(of: "=") else { throw fail("`\(w)` is not key=value") }
                    vars[String(w[..<eq])] = String(w[w.index(after: eq)...])
                }
                var name = first
                // host:port (not an IPv6 address, which has more colons)
                if name.filter({ $0 == ":" }).count == 1, let colon = name.firstIndex(of: ":"),
                    !name.contains("[") || name.hasSuffix("]") == false,
                    let port = Int(name[name.index(after: colon)...])
                {
                    vars["ansible_port"] = vars["ansible_port"] ?? String(port)
                    name = String(name[..<colon])
                }
                for host in try expandRange(name, fail: fail) { inv.addHost(host, to: group, vars: vars) }
            case .vars(let group):
                let joined = line
                guard let eq = joined.firstIndex(of: "=") else { throw fail("`\(line)` is not key=value") }
                let key = joined[..<eq].trimmingCharacters(in: .whitespaces)
                var value = joined[joined.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                    value = String(value.dropFirst().dropLast())
                }
                inv.setGroupVars(group, [key: value])
            case .children(let parent):
                guard let child = words.first else { continue }
                inv.addChild(child, to: parent)
            }
        }
        inv.settle()
        return inv
    }

    /// Splits a line as a shell would: spaces separate, quotes group, a
    /// backslash escapes; a `#` starting a word begins a comment.
    static func splitShellWords(_ line: String, fail: (String) -> InventoryError) throws(InventoryError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var chars = line.makeIterator()
        while let c = chars.next() {
            if let q = quote {
                if c == q {
                    quote = nil
                } else if c == "\\", q == "\"", let n = chars.next() {
                    current.append(n)
                } else {
                    current.append(c)
                }
                continue
            }
            switch c {
            case " ", "\t":
                if inWord { words.append(current); current = ""; inWord = false }
            case "\"", "'":
                quote = c
                inWord = true
            case "\\":
                if let n = chars.next() { current.append(n) }
                inWord = true
            case "#" where !inWord:
                if inWord { words.append(current) }
                return words
            default:
                current.append(c)
                inWord = true
            }
        }
        guard quote == nil else { throw fail("an unclosed quote") }
        if inWord { words.append(current) }
        return words
    }

    /// `web[01:03].example.com`, `db-[a:c]`, `node[1:10:2]`: the hosts a range names.
    static func expandRange(_ pattern: String, fail: (String) -> InventoryError) throws(InventoryError) -> [String] {
        guard let open = pattern.firstIndex(of: "["), let close = pattern[open...].firstIndex(of: "]") else { return [pattern] }
        let head = String(pattern[..<open]), tail = String(pattern[pattern.index(after: close)...])
        let parts = pattern[pattern.index(after: open)..<close].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3 else { throw fail("a range is [start:end] or [start:end:stride]") }
        let stride = parts.count == 3 ? (Int(parts[2]) ?? 0) : 1
        guard stride > 0 else { throw fail("a range's stride is a whole number above 0") }
        var items: [String] = []
        if let a = Int(parts[0]), let b = Int(parts[1]) {
            let width = parts[0].count
            for i in Swift.stride(from: a, through: b, by: stride) {
                let s = String(i)
                items.append(parts[0].hasPrefix("0") && s.count < width ? String(repeating: "0", count: width - s.count) + s : s)
            }
        } else if parts[0].count == 1, parts[1].count == 1, let a = parts[0].unicodeScalars.first?.value,
            let b = parts[1].unicodeScalars.first?.value
        {
            for v in Swift.stride(from: a, through: b, by: stride) { if let u = Unicode.Scalar(v) { items.append(String(Character(u))) } }
        } else {
            throw fail("`[\(parts.joined(separator: ":"))]` is neither a numeric nor a letter range")
        }
        var out: [String] = []
        for item in items { out += try expandRange(head + item + tail, fail: fail) }
        return out
    }

    // MARK: - YAML

    public static func yaml(_ text: String, file: String) throws(InventoryError) -> Inventory {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw InventoryError("\(file): not valid YAML") }
        guard let root = node?.mapping else { throw InventoryError("\(file): a YAML inventory is a mapping of groups") }
        var inv = Inventory()
        func scalarMap(_ n: Node?) -> [String: String] {
            var out: [String: String] = [:]
            for (k, v) in n?.mapping ?? [:] { if let key = k.string { out[key] = v.string ?? v.scalar?.string ?? "" } }
            return out
        }
        func readGroup(_ name: String, _ body: Node?) {
            inv.ensureGroup(name)
            for (h, hv) in body?["hosts"]?.mapping ?? [:] {
                guard let host = h.string else { continue }
                let hosts = (try? expandRange(host, fail: { InventoryError($0) })) ?? [host]
                for one in hosts { inv.addHost(one, to: name, vars: scalarMap(hv)) }
            }
            inv.setGroupVars(name, scalarMap(body?["vars"]))
            for (c, cv) in body?["children"]?.mapping ?? [:] {
                guard let child = c.string else { continue }
                inv.addChild(child, to: name)
                readGroup(child, cv)
            }
        }
        for (k, v) in root {
            guard let name = k.string else { continue }
            readGroup(name, v)
        }
        inv.settle()
        return inv
    }

    // MARK: - Dynamic

    /// Runs an executable inventory with `--list` (and `--host NAME` when its
    /// answer has no `_meta.hostvars`).
    public static func dynamic(_ path: String, run: (String, [String]) throws -> String) throws -> Inventory {
        let listed = try run(path, ["--list"])
        guard let json = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [String: Any] else {
            throw InventoryError("\(path) --list: not a JSON object")
        }
        var inv = Inventory()
        func strings(_ any: Any?) -> [String: String] {
            var out: [String: String] = [:]
            for (k, v) in (any as? [String: Any]) ?? [:] { out[k] = Self.text(v) }
            return out
        }
        for key in json.keys.sorted() where key != "_meta" {
            let value = json[key]
            if let list = value as? [String] {
                for h in list { inv.addHost(h, to: key) }
                continue
            }
            guard let group = value as? [String: Any] else { continue }
            inv.ensureGroup(key)
            for h in (group["hosts"] as? [String]) ?? [] { inv.addHost(h, to: key) }
            inv.setGroupVars(key, strings(group["vars"]))
            for c in (group["children"] as? [String]) ?? [] { inv.addChild(c, to: key) }
        }
        if let meta = json["_meta"] as? [String: Any], let hostvars = meta["hostvars"] as? [String: Any] {
            for (h, vars) in hostvars where inv.hosts.contains(h) { inv.addHost(h, to: nil, vars: strings(vars)) }
        } else {
            for h in inv.hosts {
                let one = try run(path, ["--host", h])
                let vars = (try? JSONSerialization.jsonObject(with: Data(one.utf8))) as? [String: Any] ?? [:]
                inv.addHost(h, to: nil, vars: strings(vars))
            }
        }
        inv.settle()
        return inv
    }

    static func text(_ v: Any) -> String {
        if let s = v as? String { return s }
        if let n = v as? NSNumber { return n.stringValue }
        if let data = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .fragmentsAllowed]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(v)"
    }

    /// Runs an inventory program through the shell steps' runner (its own
    /// process group, killed whole at the timeout) and returns what it wrote
    /// to stdout; a failure is one line, with its last line of stderr.
    public static func runScript(_ path: String, _ args: [String]) throws -> String {
        final class Streams: @unchecked Sendable {
            var out: [UInt8] = []
            var err: [UInt8] = []
        }
        let streams = Streams()
        let outcome = ShellRunner(captureLimit: 1 << 16).run(
            argv: [path] + args, timeout: scriptTimeout,
            onOutput: { bytes, stream in
                if stream == 1 { streams.out += bytes } else { streams.err += bytes }
            })
        let said = String(decoding: streams.err, as: UTF8.self).split(separator: "\n").last.map { ": \($0)" } ?? ""
        let command = ([path] + args).joined(separator: " ")
        switch outcome.ending {
        case .exited(0): return String(decoding: streams.out, as: UTF8.self)
        case .exited(let code): throw InventoryError("\(command) exited \(code)\(said)")
        case .signalled(let sig): throw InventoryError("\(command) was killed by signal \(sig)\(said)")
        case .timedOut: throw InventoryError("\(command) did not answer in \(Int(scriptTimeout)) s")
        case .interrupted: throw InventoryError("\(command) was interrupted")
        case .failedToStart(let why): throw InventoryError("\(command) cannot start: \(why)")
        }
    }

    /// How long an executable inventory may take to answer.
    public static let scriptTimeout: Double = 30
}
