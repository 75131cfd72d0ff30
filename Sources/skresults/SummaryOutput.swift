// Renders a run's summary for people (table), for machines (JSON) and for spreadsheets (CSV).

import Foundation
import ResultPipeline

enum OutputFormat: String {
    case table, json, csv

    static func parse(_ text: String?) throws -> OutputFormat {
        guard let text else { return Terminal.isTerminal(1) ? .table : .json }
        guard let format = OutputFormat(rawValue: text) else {
            throw UsageError(message: "The value '\(text)' is invalid for '--format': expected table, json or csv.")
        }
        return format
    }
}

/// Extra summary sections that commands append after the label counts (one JSON key each).
struct SummarySection {
    var key: String
    /// The section's JSON value, already encoded.
    var json: [UInt8]
    /// Lines for the table view.
    var tableLines: [String]
}

enum SummaryOutput {
    static func json(_ summary: RunSummary, counts: LabelCounts, sections: [SummarySection] = []) -> [UInt8] {
        var out: [UInt8] = []
        out.append(UInt8(ascii: "{"))
        let numbers: [(String, Int)] = [
            ("lines", summary.lines), ("rows", summary.rows), ("blank", summary.blank),
            ("rejected", summary.rejected), ("null_output", summary.nullOutput),
            ("ignored_entries", summary.ignoredEntries),
        ]
        for (key, value) in numbers {
            JSONText.appendKey(key, to: &out)
            JSONText.appendInt(value, to: &out)
            out.append(UInt8(ascii: ","))
        }
        JSONText.appendKey("labels", to: &out)
        appendCounts(counts.labels, to: &out)
        out.append(UInt8(ascii: ","))
        JSONText.appendKey("actions", to: &out)
        appendCounts(counts.actions, to: &out)
        for section in sections {
            out.append(UInt8(ascii: ","))
            JSONText.appendKey(section.key, to: &out)
            out.append(contentsOf: section.json)
        }
        out.append(contentsOf: Array("}\n".utf8))
        return out
    }

    /// Appends `{"key":n,…}` in the given order.
    static func appendObject(_ members: [(String, Int)], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, (key, value)) in members.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendKey(key, to: &out)
            JSONText.appendInt(value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func appendCounts(_ counter: NameCounter, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for (name, count) in counter.sorted() {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONText.appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONText.appendInt(count, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    static func csv(counts: LabelCounts, top: Int?) -> String {
        var out = "kind,name,count\n"
        for (kind, counter) in [("label", counts.labels), ("action", counts.actions)] {
            for (name, count) in counter.sorted().prefix(top ?? Int.max) {
                out += "\(kind),\(csvField(name)),\(count)\n"
            }
        }
        return out
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func table(_ summary: RunSummary, counts: LabelCounts, top: Int?, sections: [SummarySection] = []) -> String {
        let limit = top ?? 20
        var out = ""
        for (title, counter) in [("LABEL", counts.labels), ("ACTION", counts.actions)] {
            let all = counter.sorted()
            let shown = all.prefix(limit)
            let width = min(48, max(title.count, shown.map { $0.name.count }.max() ?? 0))
            let countWidth = max(5, String(shown.first?.count ?? 0).count)
            out += pad(title, width) + "  " + leftPad("COUNT", countWidth) + "   SHARE\n"
            if shown.isEmpty { out += "(none)\n" }
            let maxCount = max(1, shown.first?.count ?? 1)
            for (name, count) in shown {
                let share = summary.rows > 0 ? Double(count) / Double(summary.rows) * 100 : 0
                let bar = String(repeating: "█", count: max(1, count * 30 / maxCount))
                out += pad(truncate(name, width), width) + "  " + leftPad(String(count), countWidth)
                    + "  " + leftPad(String(format: "%.1f%%", share), 6) + "  " + bar + "\n"
            }
            if all.count > shown.count {
                out += "… \(all.count - shown.count) more (--top N, or --format json for all)\n"
            }
            out += "\n"
        }
        out += "lines \(summary.lines)   rows \(summary.rows)   blank \(summary.blank)   rejected \(summary.rejected)"
            + "   null_output \(summary.nullOutput)   ignored_entries \(summary.ignoredEntries)\n"
        for section in sections {
            out += "\n" + section.tableLines.joined(separator: "\n") + "\n"
        }
        return out
    }

    private static func truncate(_ s: String, _ width: Int) -> String {
        s.count <= width ? s : String(s.prefix(width - 1)) + "…"
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    private static func leftPad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    /// The one-line summary on stderr.
    static func stderrLine(_ summary: RunSummary) -> String {
        "skresults: \(summary.rows) rows, \(summary.rejected) rejected, \(summary.blank) blank; "
            + "\(Units.bytes(summary.bytes)) in \(String(format: "%.2f", summary.seconds)) s "
            + "(\(Units.rate(summary.bytes, seconds: summary.seconds)))\n"
    }
}
