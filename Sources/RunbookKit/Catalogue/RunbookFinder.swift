import Foundation

/// Finds runbooks by what the operator sees: ranks them by how well a text
/// matches their symptoms, aliases, titles and descriptions, in English or
/// Chinese.
///
/// Texts are compared as sets of character n-grams: trigrams within each
/// English word (so `timed out` meets `timeout`, `fails` meets `failed`)
/// and characters and bigrams along each run of Chinese characters (which
/// has no spaces between words). A short field (a symptom, an alias, a title) scores the
/// Dice coefficient of the two sets, 1 for the same text; a description, the
/// share of the text's n-grams it holds, weighed lower.
public struct RunbookFinder: Sendable {
    public struct Hit: Sendable, Hashable {
        public var id: String
        public var title: String
        /// 0 to 1.
        public var score: Double
        /// The symptom, alias, title or description that matched best.
        public var matched: String
    }

    /// Below this a hit is noise, and is not shown.
    public static let threshold = 0.25

    private struct Field: Sendable {
        var text: String
        var grams: Set<UInt64>
        var weight: Double
        var isLong: Bool
    }

    private let runbooks: [(summary: RunbookSummary, fields: [Field])]

    public init(_ summaries: [RunbookSummary]) {
        runbooks = summaries.map { s in
            var fields: [Field] = []
            for symptom in s.symptoms {
                // "the API does not answer (API接口无响应)": each language alone, and both.
                for variant in Self.variants(of: symptom) {
                    fields.append(Field(text: symptom, grams: Self.grams(variant), weight: 1, isLong: false))
                }
            }
            for alias in s.aliases { fields.append(Field(text: alias, grams: Self.grams(alias), weight: 1, isLong: false)) }
            fields.append(Field(text: s.title, grams: Self.grams(s.title), weight: 0.9, isLong: false))
            fields.append(Field(text: s.id, grams: Self.grams(s.id.replacingOccurrences(of: "-", with: " ")), weight: 0.9, isLong: false))
            if !s.description.isEmpty {
                fields.append(Field(text: s.description, grams: Self.grams(s.description), weight: 0.6, isLong: true))
            }
            return (s, fields)
        }
    }

    /// The runbooks `text` matches, best first, at most `limit`.
    public func find(_ text: String, limit: Int = 5) -> [Hit] {
        let query = Self.grams(text)
        guard !query.isEmpty else { return [] }
        var hits: [Hit] = []
        for (summary, fields) in runbooks {
            var best: (score: Double, text: String)?
            for field in fields where !field.grams.isEmpty {
                let shared = Double(query.intersection(field.grams).count)
                guard shared > 0 else { continue }
                let similarity = field.isLong ? shared / Double(query.count) : 2 * shared / Double(query.count + field.grams.count)
                let score = similarity * field.weight
                if score > best?.score ?? 0 { best = (score, field.text) }
            }
            if let best, best.score >= Self.threshold {
                hits.append(Hit(id: summary.id, title: summary.title, score: (best.score * 1000).rounded() / 1000, matched: best.text))
            }
        }
        return Array(hits.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }.prefix(limit))
    }

    // MARK: - n-grams

    /// A symptom as written, and its parts outside and inside parentheses.
    static func variants(of symptom: String) -> [String] {
        guard let open = symptom.firstIndex(where: { $0 == "(" || $0 == "（" }) else { return [symptom] }
        let outside = String(symptom[..<open])
        let inside = String(symptom[symptom.index(after: open)...]).trimmingCharacters(in: CharacterSet(charactersIn: ")） "))
        return [symptom, outside, inside].filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// Words that say nothing of a symptom.
    static let stopWords: Set<String> = [
        "a", "an", "the", "of", "to", "is", "are", "was", "be", "it", "its", "in", "on", "at", "for", "and", "or", "by",
        "with", "from", "than", "do", "does", "did", "has", "have", "my", "our", "this", "that",
    ]

    static func isChinese(_ s: Unicode.Scalar) -> Bool {
        (0x4E00...0x9FFF).contains(s.value) || (0x3400...0x4DBF).contains(s.value) || (0xF900...0xFAFF).contains(s.value)
    }

    /// The text's n-grams, each packed in a number (three 21-bit scalars):
    /// a set of numbers is built and intersected far faster than one of strings.
    static func grams(_ text: String) -> Set<UInt64> {
        let normal = text.precomposedStringWithCompatibilityMapping.lowercased()
        var out: Set<UInt64> = []
        var word: [UInt32] = []
        var han: [UInt32] = []
        func pack(_ a: UInt32, _ b: UInt32 = 0, _ c: UInt32 = 0) -> UInt64 { UInt64(a) << 42 | UInt64(b) << 21 | UInt64(c) }
        func flushWord() {
            defer { word.removeAll(keepingCapacity: true) }
            guard !word.isEmpty, !isStopWord(word) else { return }
            // Padded with spaces, so a word's start and end count: " ap", "api", "pi ".
            let padded = [0x20] + word + [0x20]
            for i in 0..<(padded.count - 2) { out.insert(pack(padded[i], padded[i + 1], padded[i + 2])) }
        }
        func flushHan() {
            defer { han.removeAll(keepingCapacity: true) }
            // Single characters too: one character can be a word (慢, slow).
            for c in han { out.insert(pack(c)) }
            for i in 0..<max(0, han.count - 1) { out.insert(pack(han[i], han[i + 1])) }
        }
        for scalar in normal.unicodeScalars {
            if isChinese(scalar) {
                flushWord()
                han.append(scalar.value)
            } else if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                flushHan()
                word.append(scalar.value)
            } else {
                flushWord()
                flushHan()
            }
        }
        flushWord()
        flushHan()
        return out
    }

    static func isStopWord(_ word: [UInt32]) -> Bool {
        guard word.count <= 4 else { return false }
        return stopWords.contains(String(String.UnicodeScalarView(word.compactMap(Unicode.Scalar.init))))
    }
}
