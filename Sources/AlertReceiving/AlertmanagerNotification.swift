import Foundation

/// What Alertmanager's webhook receiver POSTs (version 4): a group of
/// alerts that fired or resolved together.
public struct AlertmanagerNotification: Sendable, Hashable, Codable {
    public struct Alert: Sendable, Hashable, Codable {
        public var status: String
        public var labels: [String: String]
        public var annotations: [String: String]
        public var startsAt: String?
        public var endsAt: String?
        public var generatorURL: String?
        public var fingerprint: String?

        public init(status: String, labels: [String: String], annotations: [String: String] = [:]) {
            self.status = status
            self.labels = labels
            self.annotations = annotations
        }

        enum CodingKeys: String, CodingKey {
            case status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            status = try c.decode(String.self, forKey: .status)
            labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
            annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations) ?? [:]
            startsAt = try c.decodeIfPresent(String.self, forKey: .startsAt)
            endsAt = try c.decodeIfPresent(String.self, forKey: .endsAt)
            generatorURL = try c.decodeIfPresent(String.self, forKey: .generatorURL)
            fingerprint = try c.decodeIfPresent(String.self, forKey: .fingerprint)
        }
    }

    public var version: String
    /// Alertmanager's key for the group; the same group keeps it across notifications.
    public var groupKey: String
    /// `firing` or `resolved`.
    public var status: String
    public var receiver: String
    public var groupLabels: [String: String]
    public var commonLabels: [String: String]
    public var commonAnnotations: [String: String]
    public var externalURL: String?
    public var alerts: [Alert]
    public var truncatedAlerts: Int?

    public init(
        groupKey: String, status: String, commonLabels: [String: String], commonAnnotations: [String: String] = [:],
        alerts: [Alert] = []
    ) {
        version = "4"
        self.groupKey = groupKey
        self.status = status
        receiver = "rbsh"
        groupLabels = [:]
        self.commonLabels = commonLabels
        self.commonAnnotations = commonAnnotations
        self.alerts = alerts
    }

    enum CodingKeys: String, CodingKey {
        case version, groupKey, status, receiver, groupLabels, commonLabels, commonAnnotations, externalURL, alerts, truncatedAlerts
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(String.self, forKey: .version)
        groupKey = try c.decode(String.self, forKey: .groupKey)
        status = try c.decode(String.self, forKey: .status)
        receiver = try c.decodeIfPresent(String.self, forKey: .receiver) ?? ""
        groupLabels = try c.decodeIfPresent([String: String].self, forKey: .groupLabels) ?? [:]
        commonLabels = try c.decodeIfPresent([String: String].self, forKey: .commonLabels) ?? [:]
        commonAnnotations = try c.decodeIfPresent([String: String].self, forKey: .commonAnnotations) ?? [:]
        externalURL = try c.decodeIfPresent(String.self, forKey: .externalURL)
        alerts = try c.decodeIfPresent([Alert].self, forKey: .alerts) ?? []
        truncatedAlerts = try c.decodeIfPresent(Int.self, forKey: .truncatedAlerts)
    }

    /// Reads a webhook body; the error is one line, for a 400 or `run --alert`.
    public static func decode(_ data: Data) throws(AlertError) -> AlertmanagerNotification {
        let n: AlertmanagerNotification
        do { n = try JSONDecoder().decode(AlertmanagerNotification.self, from: data) } catch DecodingError.dataCorrupted {
            throw AlertError("not JSON")
        } catch let e as DecodingError {
            throw AlertError("not an Alertmanager webhook notification: \(Self.describe(e))")
        } catch {
            throw AlertError("not JSON")
        }
        guard n.version == "4" else { throw AlertError("webhook version \(n.version); version 4 is understood") }
        guard ["firing", "resolved"].contains(n.status) else { throw AlertError("status `\(n.status)` is neither firing nor resolved") }
        return n
    }

    private static func describe(_ e: DecodingError) -> String {
        switch e {
        case .keyNotFound(let key, _): return "no `\(key.stringValue)`"
        case .typeMismatch(_, let c), .valueNotFound(_, let c):
            return "`\(c.codingPath.map(\.stringValue).joined(separator: "."))` has the wrong type"
        case .dataCorrupted: return "not JSON"
        @unknown default: return "unreadable"
        }
    }

    /// The labels a rule matches: the group's common labels, else the first firing alert's.
    public var labelSets: [[String: String]] {
        [commonLabels.merging(groupLabels) { a, _ in a }] + alerts.filter { $0.status == "firing" }.map(\.labels)
    }
}

/// A one-line reason an alert could not be taken.
public struct AlertError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
