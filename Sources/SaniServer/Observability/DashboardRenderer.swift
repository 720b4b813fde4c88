import Foundation

/// Renders the jobs overview: a fixed-width text table for terminals (`curl /v1/dashboard`) or an HTML page.
/// One job's page is `JobPageRenderer`.
struct DashboardRenderer {
    struct Row {
        var id: String
        var tenant: String
        var status: String
        var phase: String
        var fraction: Double?
        var epoch: String
        var regurgitation: String
        var spanExtraction: String
        var age: String
        var note: String
    }

    let rows: [Row]
    let showTenant: Bool
    let now: Date

    init(jobs: [JobRecord], showTenant: Bool, now: Date = Date()) {
        self.showTenant = showTenant
        self.now = now
        rows = jobs.map { job in
            let fraction: Double? = job.status == .succeeded ? 1 : job.fraction
            var epoch = ""
            if let e = job.epoch, let n = job.epochs { epoch = "\(e)/\(n)" }
            let before = job.tokenRegurgitationBefore.map(Self.percent) ?? "-"
            let after = job.tokenRegurgitationAfter.map(Self.percent) ?? "-"
            let spanBefore = job.spanExtractionBefore.map(Self.percent) ?? "-"
            let spanAfter = job.spanExtractionAfter.map(Self.percent) ?? "-"
            let note: String
            switch job.status {
            case .failed: note = job.errorMessage ?? ""
            case .running: note = JobPageRenderer.eta(job, now: now) ?? (job.message ?? "")
            default: note = ""
            }
            return Row(id: job.id, tenant: job.tenant, status: job.status.rawValue + (job.cancelRequested && !job.status.isFinal ? "*" : ""),
                       phase: job.status == .running ? (job.phase ?? "-") : "-", fraction: fraction, epoch: epoch,
                       regurgitation: before == "-" && after == "-" ? "-" : "\(before) → \(after)",
                       spanExtraction: spanBefore == "-" && spanAfter == "-" ? "-" : "\(spanBefore) → \(spanAfter)",
                       age: Self.duration(now.timeIntervalSince(job.createdAt)), note: note)
        }
    }

    static func percent(_ v: Double) -> String { String(format: "%.1f%%", v * 100) }

    static func duration(_ seconds: Double) -> String {
        let s = Int(max(0, seconds))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        if s < 86400 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        return "\(s / 86400)d\((s % 86400) / 3600)h"
    }

    static func bar(_ fraction: Double?, width: Int = 20) -> String {
        guard let f = fraction else { return String(repeating: " ", count: width + 7) }
        let clamped = min(1, max(0, f))
        let filled = Int((clamped * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
            + String(format: " %3d%%", Int((clamped * 100).rounded(.down)))
    }

    func text(summary: String) -> String {
        var header = ["JOB", "STATUS", "PHASE", "EPOCH", "PROGRESS", "REGURGITATION", "AGE", ""]
        if showTenant { header.insert("TENANT", at: 1) }
        var table: [[String]] = [header]
        for r in rows {
            var line = [r.id, r.status, r.phase, r.epoch.isEmpty ? "-" : r.epoch, Self.bar(r.fraction), r.regurgitation, r.age, r.note]
            if showTenant { line.insert(r.tenant, at: 1) }
            table.append(line)
        }
        let widths = (0..<header.count).map { c in table.map { $0[c].count }.max() ?? 0 }
        var out = summary + "\n\n"
        for line in table {
            let cells = line.enumerated().map { c, cell in
                c == line.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
            }
            out += cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        if rows.isEmpty { out += "(no jobs yet: POST /v1/jobs)\n" }
        out += "\nREGURGITATION: token regurgitation rate on sensitive positions, before → after sanitization.\n"
        return out
    }

    /// The HTML page: the same table, each job linking to its page (`/v1/dashboard/jobs/{id}`), refreshed in place
    /// by the page's inline script (or, without scripts, by a meta refresh).
    func html(summary: String) -> String {
        let esc = DashboardHTML.escape
        var body = ""
        for r in rows {
            let pct = Int(((r.fraction ?? 0) * 100).rounded(.down))
            let progress = r.fraction == nil ? "" : "<progress max=\"100\" value=\"\(pct)\"></progress> \(pct)%"
            let status = r.status.hasSuffix("*") ? String(r.status.dropLast()) : r.status
            body += "<tr class=\"job \(esc(status))\" data-job=\"\(esc(r.id))\">"
            body += "<td><a href=\"/v1/dashboard/jobs/\(esc(r.id))\"><code>\(esc(r.id))</code></a></td>"
            if showTenant { body += "<td>\(esc(r.tenant))</td>" }
            body += "<td><span class=\"status \(esc(status))\">\(esc(r.status))</span></td>"
            body += "<td>\(esc(r.phase))</td><td>\(esc(r.epoch))</td><td>\(progress)</td>"
            body += "<td class=\"num\">\(esc(r.spanExtraction))</td><td class=\"num\">\(esc(r.regurgitation))</td>"
            body += "<td>\(esc(r.age))</td><td>\(esc(r.note))</td></tr>\n"
        }
        if rows.isEmpty { body = "<tr><td colspan=\"\(showTenant ? 10 : 9)\">No jobs yet: POST /v1/jobs.</td></tr>" }
        let live = """
        <p id="summary">\(esc(summary))</p>
        <table id="jobs"><thead><tr><th>Job</th>\(showTenant ? "<th>Tenant</th>" : "")<th>Status</th><th>Phase</th><th>Epoch</th><th>Progress</th>
        <th class="num">Span extraction<br>before → after</th><th class="num">Token regurgitation<br>before → after</th><th>Age</th><th></th></tr></thead>
        <tbody>
        \(body)
        </tbody></table>
        <p class="muted"><small>Rates on sensitive spans (span extraction: the whole span reproduced by greedy decoding) and
        positions (token regurgitation: top-1 prediction is the sensitive token). A job's page draws its audit per label.</small></p>
        """
        return DashboardHTML.page(title: "sani dashboard", heading: "<h1>sani</h1>", live: live, final: false)
    }
}
