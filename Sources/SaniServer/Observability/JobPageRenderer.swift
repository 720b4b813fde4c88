import Foundation

/// Renders one job for the dashboard (`GET /v1/dashboard/jobs/{jobId}`): status, progress and ETA, inputs, the
/// audit before / after per label (bars in inline SVG on the HTML page), utility, and the latest events; as text
/// for terminals or as an HTML page.
struct JobPageRenderer {
    /// An input of the job: its role (`model`, `corpus`, ...), file id, and the file when it still exists.
    struct Input {
        var role: String
        var id: String
        var file: FileRecord?
    }

    let job: JobRecord
    let inputs: [Input]
    let audit: AuditFigures?
    /// The latest events, oldest first, and how many the job has in all.
    let events: [EventRecord]
    let eventCount: Int
    let showTenant: Bool
    let now: Date
    /// False when the viewer (an admin key of another tenant) cannot read the job's report through the API: the
    /// page then names the report instead of linking to a 404.
    let reportLinked: Bool

    init(job: JobRecord, inputs: [Input] = [], audit: AuditFigures? = nil, events: [EventRecord] = [], eventCount: Int? = nil,
         showTenant: Bool = false, now: Date = Date(), reportLinked: Bool = true) {
        self.job = job; self.inputs = inputs; self.audit = audit; self.events = events
        self.eventCount = eventCount ?? events.count; self.showTenant = showTenant; self.now = now
        self.reportLinked = reportLinked
    }

    /// The job's inputs as the job record names them.
    static func inputs(of job: JobRecord) -> [(role: String, id: String)] {
        var out = [("model", job.modelFileId), ("corpus", job.corpusFileId)]
        if let id = job.heldOutFileId { out.append(("held-out notes", id)) }
        if let id = job.calibrationFileId { out.append(("calibration notes", id)) }
        if let id = job.baseFileId { out.append(("base model", id)) }
        if let id = job.termsFileId { out.append(("terms", id)) }
        return out
    }

    /// `ETA 2m05s (about 08:25:03 UTC)` while the job runs and the method has an estimate; the estimate was made
    /// at the last progress report, so the time since then is taken off.
    static func eta(_ job: JobRecord, now: Date) -> String? {
        guard job.status == .running, let eta = job.etaSeconds, eta.isFinite, eta >= 0 else { return nil }
        let end = job.updatedAt.addingTimeInterval(eta)
        return "ETA \(DashboardRenderer.duration(end.timeIntervalSince(now))) (about \(clock(end)) UTC)"
    }

    static func clock(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? .current
        let c = calendar.dateComponents([.hour, .minute, .second], from: date)
        return String(format: "%02d:%02d:%02d", c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    var fraction: Double? { job.status == .succeeded ? 1 : job.fraction }

    /// Progress in words: phase, epoch, step, loss.
    var progressDetail: String {
        var parts: [String] = []
        if job.status == .running, let phase = job.phase { parts.append(phase) }
        if let e = job.epoch, let n = job.epochs { parts.append("epoch \(e)/\(n)") }
        if job.status == .running, let s = job.step, let n = job.steps { parts.append("step \(s)/\(n)") }
        if job.status == .running, let loss = job.loss, loss.isFinite { parts.append(String(format: "loss %.3f", loss)) }
        return parts.joined(separator: " · ")
    }

    /// How long it ran (ended jobs) or has been running.
    var timing: String {
        if let ended = job.endedAt {
            return "ended \(Timestamp.format(ended))" + (job.startedAt.map { ", ran \(DashboardRenderer.duration(ended.timeIntervalSince($0)))" } ?? "")
        }
        if let started = job.startedAt { return "started \(Timestamp.format(started)), running for \(DashboardRenderer.duration(now.timeIntervalSince(started)))" }
        return "created \(DashboardRenderer.duration(now.timeIntervalSince(job.createdAt))) ago"
    }

    var statusText: String { job.status.rawValue + (job.cancelRequested && !job.status.isFinal ? " (cancelling)" : "") }

    private func inputText(_ input: Input) -> String {
        guard let file = input.file else { return "\(input.id) (deleted)" }
        return "\(file.name) (\(input.id), \(ByteCount.format(file.size)))"
    }

    // MARK: text

    func text() -> String {
        var out = "sani · job \(job.id) · \(statusText)\(showTenant ? " · tenant \(job.tenant)" : "") · \(Timestamp.format(now))\n\n"
        var facts: [(String, String)] = [("progress", DashboardRenderer.bar(fraction) + (progressDetail.isEmpty ? "" : "  " + progressDetail))]
        if let eta = Self.eta(job, now: now) { facts.append(("eta", eta)) }
        facts.append(("time", timing))
        if let code = job.errorCode { facts.append(("error", code + (job.errorMessage.map { ": " + $0 } ?? ""))) }
        else if let message = job.errorMessage { facts.append(("error", message)) }
        for input in inputs { facts.append((input.role, inputText(input))) }
        let width = facts.map(\.0.count).max() ?? 0
        for (k, v) in facts { out += k.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + v + "\n" }

        if let audit {
            out += "\nAUDIT (before → after sanitization)\n"
            var table = [["LABEL", "SPAN EXTRACTION", "TOKEN REGURGITATION"]]
            for row in [audit.overall] + audit.labels {
                table.append([row.label, Self.pairText(row.spanExtraction), Self.pairText(row.tokenRegurgitation)])
            }
            out += Self.columns(table)
            if let u = Self.utilityText(audit) { out += u + "\n" }
        }
        out += "\nEVENTS" + (eventCount > events.count ? " (the last \(events.count) of \(eventCount))" : "") + "\n"
        var table = [["TIME", "TYPE", "STATUS", "PHASE", "EPOCH", "STEP", "MESSAGE"]]
        for e in events {
            table.append([Self.clock(e.at), e.type, e.status.rawValue, e.phase ?? "-", e.epoch.map(String.init) ?? "-",
                          e.step.map { s in e.steps.map { "\(s)/\($0)" } ?? "\(s)" } ?? "-", e.message])
        }
        out += Self.columns(table)
        if events.isEmpty { out += "(no events)\n" }
        return out
    }

    static func pairText(_ pair: AuditFigures.Pair) -> String {
        if pair.isEmpty { return "-" }
        return (pair.before.map { AuditFigures.percent($0.rate) } ?? "?") + " → " + (pair.after.map { AuditFigures.percent($0.rate) } ?? "?")
    }

    static func utilityText(_ audit: AuditFigures) -> String? {
        guard audit.utilityBefore != nil || audit.utilityAfter != nil else { return nil }
        func ppl(_ u: AuditFigures.Utility?) -> String { u.map { String(format: "%.2f", $0.perplexity) } ?? "?" }
        func acc(_ u: AuditFigures.Utility?) -> String { u.map { AuditFigures.percent($0.accuracy) } ?? "?" }
        let split = (audit.utilityAfter ?? audit.utilityBefore)?.split ?? ""
        return "utility\(split.isEmpty ? "" : " (\(split))"): perplexity \(ppl(audit.utilityBefore)) → \(ppl(audit.utilityAfter)),"
            + " top-1 accuracy \(acc(audit.utilityBefore)) → \(acc(audit.utilityAfter))"
    }

    private static func columns(_ table: [[String]]) -> String {
        let widths = (0..<table[0].count).map { c in table.map { $0[c].count }.max() ?? 0 }
        var out = ""
        for line in table {
            let cells = line.enumerated().map { c, cell in
                c == line.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
            }
            out += cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        return out
    }

    // MARK: HTML

    func html() -> String {
        let esc = DashboardHTML.escape
        let heading = "<p><a href=\"/v1/dashboard\">← all jobs</a></p>"
        var live = "<h1>Job <code id=\"job-id\">\(esc(job.id))</code> <span id=\"job-status\" class=\"status \(esc(job.status.rawValue))\">\(esc(statusText))</span></h1>\n"
        var facts: [(String, String)] = []
        let pct = Int(((fraction ?? 0) * 100).rounded(.down))
        let progress = fraction == nil ? "<span class=\"muted\">not started</span>"
            : "<progress max=\"100\" value=\"\(pct)\"></progress> <span id=\"job-progress\">\(pct)%</span>"
        facts.append(("Progress", progress + (progressDetail.isEmpty ? "" : " <span class=\"muted\">\(esc(progressDetail))</span>")))
        if let eta = Self.eta(job, now: now) { facts.append(("ETA", "<span id=\"job-eta\">\(esc(eta))</span>")) }
        facts.append(("Time", esc(timing)))
        if showTenant { facts.append(("Tenant", esc(job.tenant))) }
        if job.errorCode != nil || job.errorMessage != nil {
            facts.append(("Error", "<span id=\"job-error\" class=\"error\">" + (job.errorCode.map { "<code>\(esc($0))</code> " } ?? "")
                          + esc(job.errorMessage ?? "") + "</span>"))
        }
        for input in inputs {
            let value = input.file.map { "\(esc($0.name)) <span class=\"muted\"><code>\(esc(input.id))</code>, \(esc(ByteCount.format($0.size)))</span>" }
                ?? "<code>\(esc(input.id))</code> <span class=\"muted\">(deleted)</span>"
            facts.append((input.role.prefix(1).uppercased() + input.role.dropFirst(), value))
        }
        live += "<dl class=\"facts\">" + facts.map { "<dt>\(esc($0.0))</dt><dd>\($0.1)</dd>" }.joined() + "</dl>\n"

        live += "<h2>Audit</h2>\n"
        if let audit {
            live += "<section id=\"audit\">" + AuditChart(figures: audit).svg() + "\n"
            var rows = ""
            for row in [audit.overall] + audit.labels {
                rows += "<tr><td>\(esc(row.label))</td>"
                for pair in [row.spanExtraction, row.tokenRegurgitation] {
                    rows += "<td class=\"num\">\(esc(AuditFigures.describe(pair.before)))</td><td class=\"num\">\(esc(AuditFigures.describe(pair.after)))</td>"
                }
                rows += "</tr>"
            }
            live += "<details><summary>The figures as a table</summary><table id=\"audit-table\"><thead><tr><th rowspan=\"2\">Label</th><th colspan=\"2\">Span extraction</th><th colspan=\"2\">Token regurgitation</th></tr>"
                + "<tr><th class=\"num\">before</th><th class=\"num\">after</th><th class=\"num\">before</th><th class=\"num\">after</th></tr></thead>"
                + "<tbody>\(rows)</tbody></table></details>\n"
            if let u = Self.utilityText(audit) { live += "<p id=\"utility\">\(esc(u.prefix(1).uppercased() + u.dropFirst()))</p>\n" }
            live += "<p class=\"muted\">Span extraction: greedy decoding from the preceding tokens reproduces the whole span."
                + " Token regurgitation: the model's top-1 prediction at a sensitive position is the true token."
                + (reportLinked ? " Full report: <a href=\"/v1/jobs/\(esc(job.id))/audit\">/v1/jobs/\(esc(job.id))/audit</a>.</p></section>\n"
                    : " Full report: /v1/jobs/\(esc(job.id))/audit, readable with a key of tenant \(esc(job.tenant)).</p></section>\n")
        } else {
            live += "<p class=\"muted\" id=\"audit\">" + (job.status == .succeeded ? "The audit is no longer stored." :
                job.status.isFinal ? "No audit: the job \(esc(job.status.rawValue))." : "The audit is drawn here when the job succeeds.") + "</p>\n"
        }

        live += "<h2>Events</h2>\n"
        if eventCount > events.count {
            live += "<p class=\"muted\">The last \(events.count) of \(eventCount) events; all of them at "
                + "<a href=\"/v1/jobs/\(esc(job.id))/events?limit=1000\">/v1/jobs/\(esc(job.id))/events</a>.</p>\n"
        }
        var rows = ""
        for e in events {
            let step = e.step.map { s in e.steps.map { "\(s)/\($0)" } ?? "\(s)" } ?? ""
            rows += "<tr><td>\(Self.clock(e.at))</td><td>\(esc(e.type))</td><td>\(esc(e.status.rawValue))</td><td>\(esc(e.phase ?? ""))</td>"
                + "<td class=\"num\">\(e.epoch.map(String.init) ?? "")</td><td class=\"num\">\(esc(step))</td><td>\(esc(e.message))</td></tr>"
        }
        if events.isEmpty { rows = "<tr><td colspan=\"7\">No events.</td></tr>" }
        live += "<table id=\"events\"><thead><tr><th>Time (UTC)</th><th>Type</th><th>Status</th><th>Phase</th><th class=\"num\">Epoch</th>"
            + "<th class=\"num\">Step</th><th>Message</th></tr></thead><tbody>\(rows)</tbody></table>\n"
        return DashboardHTML.page(title: "sani · \(job.id) · \(job.status.rawValue)", heading: heading, live: live, final: job.status.isFinal)
    }
}
