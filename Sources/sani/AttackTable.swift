import Foundation
import Sani

/// The attack figures of audit reports side by side (one column per report), for the terminal. Empty when no
/// report measured any attack.
enum AttackTable {
    static func render(_ reports: [AuditReport]) -> String {
        let measured = reports.filter {
            $0.membership != nil || $0.spanExtractionByPrefix != nil || $0.exposure != nil || $0.relearned != nil
                || $0.sampledExtraction != nil || $0.beyondReference != nil
        }
        guard !measured.isEmpty else { return "" }
        var rows: [[String]] = [["attack"] + measured.map(\.stage)]
        func row(_ name: String, _ value: (AuditReport) -> String?) {
            let values = measured.map { value($0) ?? "—" }
            if values.contains(where: { $0 != "—" }) { rows.append([name] + values) }
        }
        func auc(_ x: Double) -> String { String(format: "%.3f", x) }
        func auc(_ x: Double, _ standardError: Double?) -> String {
            auc(x) + (standardError.map { String(format: " ± %.3f", $0) } ?? "")
        }
        row("sampled extraction") { $0.sampledExtraction.map(AuditTable.percent) }
        let prefixes = Set(measured.flatMap { $0.spanExtractionByPrefix.map { Array($0.keys) } ?? [] })
            .sorted { (Int($0) ?? Int.max, $0) < (Int($1) ?? Int.max, $1) }
        for p in prefixes {
            row("span extraction, prefix \(p)") { $0.spanExtractionByPrefix?[p].map(AuditTable.percent) }
        }
        row("span extraction, reference model") { $0.beyondReference.map { AuditTable.percent($0.referenceExtraction) } }
        row("span extraction beyond the reference") { $0.beyondReference.map { AuditTable.percent($0.spanExtraction) } }
        row("sampled extraction, reference model") { $0.beyondReference?.referenceSampledExtraction.map(AuditTable.percent) }
        row("sampled extraction beyond the reference") { $0.beyondReference?.sampledExtraction.map(AuditTable.percent) }
        row("membership AUC, loss (± std. error)") { r in
            r.membership.map { auc($0.lossAUC, $0.lossAUCStandardError) + " (\($0.members) / \($0.nonMembers) notes)" }
        }
        row("membership AUC, min-k") { r in
            r.membership.map { auc($0.minKAUC, $0.minKAUCStandardError) + String(format: " (k %.0f%%)", $0.k * 100) }
        }
        row("membership AUC, identifiers") { r in r.membership?.identifiers.map { auc($0.lossAUC, $0.lossAUCStandardError) } }
        row("membership AUC, against the reference") { r in
            r.membership.flatMap { m in m.referenceLossAUC.map { auc($0, m.referenceLossAUCStandardError) } }
        }
        row("exposure, mean bits") { r in
            r.exposure.map { String(format: "%.2f of %.2f (%d spans)", $0.mean, $0.maxExposure, $0.spans) }
        }
        let labels = Set(measured.flatMap { $0.exposure.map { Array($0.byLabel.keys) } ?? [] }).sorted()
        for label in labels {
            row("exposure, \(label)") { r in r.exposure?.byLabel[label].map { String(format: "%.2f (%d)", $0.mean, $0.spans) } }
        }
        row("span extraction after relearning") { r in
            r.relearned.map { "\(AuditTable.percent($0.spanExtraction)) after \($0.steps) steps" }
        }
        row("after relearning, reference relearned too") { r in
            r.relearned?.beyondReference.map { AuditTable.percent($0.referenceExtraction) }
        }
        row("after relearning, beyond the reference") { r in
            r.relearned?.beyondReference.map { AuditTable.percent($0.spanExtraction) }
        }
        return AuditTable.table(rows).joined(separator: "\n")
    }
}
