import Foundation
import Sani

/// Readable tables of audit reports for the terminal. Labels and figures only: never the sensitive strings.
enum AuditTable {
    static func percent(_ r: RateFigure) -> String {
        r.total == 0 ? "—" : String(format: "%5.1f%% (%d/%d)", r.rate * 100, r.count, r.total)
    }

    static func render(_ reports: [AuditReport]) -> String {
        var lines: [String] = []
        let header = ["stage", "token regurgitation", "span extraction", "perplexity", "accuracy"]
        var rows: [[String]] = [header]
        for r in reports {
            rows.append([r.stage, percent(r.tokenRegurgitation), percent(r.spanExtraction),
                         String(format: "%.2f", r.utility.perplexity), String(format: "%.1f%%", r.utility.accuracy * 100)])
        }
        lines += table(rows)
        if let split = reports.first?.utility.split { lines.append("perplexity and accuracy on " + utilityText(split)) }
        if let first = reports.first, let last = reports.last, reports.count > 1 {
            lines.append("")
            var byLabel: [[String]] = [["label", "tokens \(first.stage) → \(last.stage)", "spans \(first.stage) → \(last.stage)"]]
            let labels = Set(first.tokenRegurgitationByLabel.keys).union(first.spanExtractionByLabel.keys).sorted()
            for label in labels {
                let t0 = first.tokenRegurgitationByLabel[label] ?? RateFigure(), t1 = last.tokenRegurgitationByLabel[label] ?? RateFigure()
                let s0 = first.spanExtractionByLabel[label] ?? RateFigure(), s1 = last.spanExtractionByLabel[label] ?? RateFigure()
                byLabel.append([label, "\(short(t0)) → \(short(t1))", "\(short(s0)) → \(short(s1))"])
            }
            lines += table(byLabel)
        }
        return lines.joined(separator: "\n")
    }

    /// What the utility figures were measured on, in words.
    static func utilityText(_ split: String) -> String {
        switch split {
        case "held-out": return "the held-out notes (never fine-tuned on), non-sensitive tokens"
        case "held-out split": return "a held-out split of the corpus (the fine-tune may have seen it), non-sensitive tokens"
        default: return "the corpus itself (nothing held out), non-sensitive tokens"
        }
    }

    static func short(_ r: RateFigure) -> String { r.total == 0 ? "—" : String(format: "%.1f%%", r.rate * 100) }

    static func table(_ rows: [[String]]) -> [String] {
        guard let first = rows.first else { return [] }
        var widths = first.map(\.count)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.enumerated().flatMap { index, row -> [String] in
            let line = row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
            return index == 0 ? [line, widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")] : [line]
        }
    }
}
