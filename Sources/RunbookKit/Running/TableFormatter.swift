import Foundation

/// Draws rows as psql does: aligned columns, a rule under the header, a row count.
public enum TableFormatter {
    public static func render(_ table: ResultTable, nullText: String = "", maxWidth: Int = 60) -> String {
        guard !table.columns.isEmpty else { return "" }
        func clip(_ s: String) -> String {
            let flat = s.replacingOccurrences(of: "\n", with: "↵")
            return flat.count > maxWidth ? String(flat.prefix(maxWidth - 1)) + "…" : flat
        }
        let cells = table.rows.map { $0.map { clip($0 ?? nullText) } }
        var widths = table.columns.map { $0.count }
        for row in cells {
            for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) }
        }
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        func padLeft(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        func center(_ s: String, _ w: Int) -> String {
            let space = max(0, w - s.count)
            return String(repeating: " ", count: space / 2) + s + String(repeating: " ", count: space - space / 2)
        }
        var lines: [String] = []
        // psql centres headers, right-aligns numbers and left-aligns the rest.
        lines.append(" " + table.columns.enumerated().map { center($0.element, widths[$0.offset]) }.joined(separator: " | "))
        lines.append(widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+"))
        for row in cells {
            lines.append(
                " "
                    + row.enumerated().map { i, cell in
                        let w = widths[min(i, widths.count - 1)]
                        return table.numericColumns.contains(i) ? padLeft(cell, w) : pad(cell, w)
                    }.joined(separator: " | "))
        }
        let n = table.rows.count
        lines.append("(\(n) row\(n == 1 ? "" : "s"))")
        return lines.map { line in
            var l = Substring(line)
            while l.last == " " { l.removeLast() }
            return String(l)
        }.joined(separator: "\n")
    }

    /// `\x`-style: one `column | value` block per row, for wide rows.
    public static func renderExpanded(_ table: ResultTable, nullText: String = "") -> String {
        let width = table.columns.map(\.count).max() ?? 0
        var lines: [String] = []
        for (i, row) in table.rows.enumerated() {
            lines.append("-[ RECORD \(i + 1) ]" + String(repeating: "-", count: max(4, width - 8)))
            for (c, name) in table.columns.enumerated() {
                let value = c < row.count ? (row[c] ?? nullText) : nullText
                lines.append(name + String(repeating: " ", count: width - name.count) + " | " + value)
            }
        }
        return lines.joined(separator: "\n")
    }
}
