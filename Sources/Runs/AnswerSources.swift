import Foundation
import RunbookKit
import Yams

/// Answers given in advance: `--answers FILE` (YAML key: value), then `--answer KEY=VALUE`.
public enum AnswerSources {
    public static func load(file: String?, flags: [String]) throws(ConfigError) -> [String: (value: String, by: Decider)] {
        var out: [String: (value: String, by: Decider)] = [:]
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigError("cannot read the answers file \(file)")
            }
            guard let node = try? Yams.compose(yaml: text), let mapping = node.mapping else {
                throw ConfigError("\(file): answers must be a YAML mapping of key: value")
            }
            for (k, v) in mapping {
                guard let key = k.string, let value = v.string else { throw ConfigError("\(file): answers must be key: value") }
                out[key] = (value, .answersFile)
            }
        }
        for a in flags {
            let parts = a.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 || a.hasSuffix("=") else { throw ConfigError("--answer takes key=value, got `\(a)`") }
            out[String(parts[0])] = (parts.count > 1 ? String(parts[1]) : "", .flag)
        }
        return out
    }
}
