import Foundation

/// The figures of a job's audit that the dashboard draws: span extraction and token regurgitation before and
/// after sanitization, for all sensitive spans and per label, and utility. Read leniently from the stored report
/// (`sanitization-report.json`), so that a report with fewer fields still shows what it has.
struct AuditFigures: Equatable {
    struct Rate: Equatable {
        var count: Int
        var total: Int
        var rate: Double { total == 0 ? 0 : Double(count) / Double(total) }
    }

    /// A measure before and after; nil where the report does not have it.
    struct Pair: Equatable {
        var before: Rate?
        var after: Rate?
        var isEmpty: Bool { before == nil && after == nil }
    }

    struct Row: Equatable {
        var label: String
        var spanExtraction: Pair
        var tokenRegurgitation: Pair
    }

    struct Utility: Equatable {
        var perplexity: Double
        var accuracy: Double
        var split: String
    }

    /// Every sensitive span together.
    var overall: Row
    /// One row per label, sorted by label.
    var labels: [Row]
    var utilityBefore: Utility?
    var utilityAfter: Utility?
    var bestEpoch: Int?
    var epochs: Int

    private struct Report: Decodable {
        var before: Stage?
        var after: Stage?
        var epochs: [Stage]?
        var bestEpoch: Int?
    }

    private struct Stage: Decodable {
        var tokenRegurgitation: RateJSON?
        var tokenRegurgitationByLabel: [String: RateJSON]?
        var spanExtraction: RateJSON?
        var spanExtractionByLabel: [String: RateJSON]?
        var utility: UtilityJSON?
    }

    private struct RateJSON: Decodable {
        var count: Int
        var total: Int
        var figure: Rate { Rate(count: count, total: total) }
    }

    private struct UtilityJSON: Decodable {
        var perplexity: Double
        var accuracy: Double
        var split: String?
    }

    /// Nil when the text is not a report with a `before` or an `after` audit.
    init?(reportJSON: String) {
        guard let report = try? JSONDecoder().decode(Report.self, from: Data(reportJSON.utf8)),
              report.before != nil || report.after != nil else { return nil }
        let before = report.before, after = report.after
        overall = Row(label: "all labels",
                      spanExtraction: Pair(before: before?.spanExtraction?.figure, after: after?.spanExtraction?.figure),
                      tokenRegurgitation: Pair(before: before?.tokenRegurgitation?.figure, after: after?.tokenRegurgitation?.figure))
        var names = Set<String>()
        for stage in [before, after] {
            if let byLabel = stage?.spanExtractionByLabel { names.formUnion(byLabel.keys) }
            if let byLabel = stage?.tokenRegurgitationByLabel { names.formUnion(byLabel.keys) }
        }
        labels = names.sorted().map { name in
            Row(label: name,
                spanExtraction: Pair(before: before?.spanExtractionByLabel?[name]?.figure,
                                     after: after?.spanExtractionByLabel?[name]?.figure),
                tokenRegurgitation: Pair(before: before?.tokenRegurgitationByLabel?[name]?.figure,
                                         after: after?.tokenRegurgitationByLabel?[name]?.figure))
        }
        utilityBefore = before?.utility.map { Utility(perplexity: $0.perplexity, accuracy: $0.accuracy, split: $0.split ?? "") }
        utilityAfter = after?.utility.map { Utility(perplexity: $0.perplexity, accuracy: $0.accuracy, split: $0.split ?? "") }
        bestEpoch = report.bestEpoch
        epochs = report.epochs?.count ?? 0
    }

    /// `50.0%`, the figure the pages write next to each bar.
    static func percent(_ rate: Double) -> String { String(format: "%.1f%%", rate * 100) }

    /// `50.0% (12/24)`, or `not measured`.
    static func describe(_ r: Rate?) -> String {
        guard let r else { return "not measured" }
        return "\(percent(r.rate)) (\(r.count)/\(r.total))"
    }
}

/// Draws the audit as inline SVG: a group per label (and one for all labels first), in each a before and an after
/// bar for span extraction and, when the report has it, for token regurgitation, each with its figure as text.
struct AuditChart {
    let figures: AuditFigures

    // Layout (SVG user units): captions on the left, bars from `barX` for `barWidth` units at a rate of 1.
    static let width = 760.0
    static let barX = 200.0
    static let barWidth = 400.0
    static let barHeight = 14.0
    static let barGap = 4.0
    static let headingHeight = 20.0
    static let measureGap = 8.0
    static let groupGap = 14.0
    static let top = 34.0

    func svg() -> String {
        let esc = DashboardHTML.escape
        var y = Self.top
        var groups = ""
        for (index, row) in ([figures.overall] + figures.labels).enumerated() {
            let (group, height) = Self.group(row, overall: index == 0, y: y)
            groups += group
            y += height + Self.groupGap
        }
        let height = y - Self.groupGap + 8
        var grid = ""
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            let x = Self.barX + tick * Self.barWidth
            grid += "<line class=\"grid\" x1=\"\(Self.n(x))\" y1=\"\(Self.n(Self.top - 6))\" x2=\"\(Self.n(x))\" y2=\"\(Self.n(height - 8))\"/>"
                + "<text class=\"caption\" x=\"\(Self.n(x))\" y=\"\(Self.n(Self.top - 10))\" text-anchor=\"middle\">\(Int(tick * 100))%</text>"
        }
        let legend = "<rect class=\"before\" x=\"0\" y=\"4\" width=\"12\" height=\"12\"/><text x=\"18\" y=\"14\">before sanitization</text>"
            + "<rect class=\"after\" x=\"150\" y=\"4\" width=\"12\" height=\"12\"/><text x=\"168\" y=\"14\">after sanitization</text>"
        let labelCount = figures.labels.count
        let summary = "Span extraction\(figures.labels.contains { !$0.tokenRegurgitation.isEmpty } || !figures.overall.tokenRegurgitation.isEmpty ? " and token regurgitation" : "")"
            + " before and after sanitization, for all labels and for each of \(labelCount) label\(labelCount == 1 ? "" : "s")"
        return "<svg class=\"audit\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"\(Self.n(Self.width))\" height=\"\(Self.n(height))\""
            + " viewBox=\"0 0 \(Self.n(Self.width)) \(Self.n(height))\" aria-label=\"\(esc(summary))\" data-labels=\"\(labelCount)\">"
            + "<title>\(esc(summary))</title>" + legend + grid + groups + "</svg>"
    }

    /// One label's group and its height.
    static func group(_ row: AuditFigures.Row, overall: Bool, y: Double) -> (String, Double) {
        let esc = DashboardHTML.escape
        var body = "<text class=\"heading\" x=\"0\" y=\"\(n(y + 13))\">\(esc(row.label))</text>"
        var offset = headingHeight
        let measures: [(key: String, name: String, pair: AuditFigures.Pair)] = [
            ("span", "span extraction", row.spanExtraction),
            ("token", "token regurgitation", row.tokenRegurgitation),
        ].filter { $0.key == "span" || !$0.pair.isEmpty }
        for (m, measure) in measures.enumerated() {
            if m > 0 { offset += measureGap }
            for (s, stage) in ["before", "after"].enumerated() {
                let rate = stage == "before" ? measure.pair.before : measure.pair.after
                let rowY = y + offset
                let caption = s == 0 ? measure.name + " · before" : "after"
                body += "<text class=\"caption\" x=\"\(n(barX - 8))\" y=\"\(n(rowY + barHeight - 3))\" text-anchor=\"end\">\(caption)</text>"
                let w = rate.map { max(0, min(1, $0.rate)) * barWidth } ?? 0
                let text = AuditFigures.describe(rate)
                body += "<rect class=\"bar \(stage) \(measure.key)\" x=\"\(n(barX))\" y=\"\(n(rowY))\" width=\"\(n(w))\" height=\"\(n(barHeight))\""
                    + (rate.map { " data-rate=\"\($0.rate)\" data-count=\"\($0.count)\" data-total=\"\($0.total)\"" } ?? "")
                    + "><title>\(esc(row.label)): \(measure.name) \(stage), \(text)</title></rect>"
                body += "<text class=\"figure \(stage) \(measure.key)\" x=\"\(n(barX + w + 6))\" y=\"\(n(rowY + barHeight - 3))\">\(text)</text>"
                offset += barHeight + (s == 0 ? barGap : 0)
            }
        }
        let group = "<g class=\"\(overall ? "overall" : "label-group")\" data-label=\"\(esc(row.label))\">" + body + "</g>"
        return (group, offset)
    }

    /// A coordinate with at most one decimal, without a trailing `.0`.
    static func n(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
    }
}
