import Foundation
@testable import SaniServer
import XCTest

/// The dashboard's pages: the job page's audit bars per label, its progress and ETA, its events, escaping of
/// everything that comes from users, and the routes with their tenant rules. `scripts/browser-test.sh` opens the
/// same pages in headless Chromium against a real sanitization.
final class DashboardTests: XCTestCase {
    static let start = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T11:06:40Z

    static func job(_ status: JobStatus, id: String = "job_dashboardtest000001") -> JobRecord {
        JobRecord(
            seq: 1, id: id, tenant: "tenant-a", status: status, modelFileId: "file_model0000000000000000",
            corpusFileId: "file_corpus000000000000000", termsFileId: nil, heldOutFileId: "file_heldout00000000000000",
            baseFileId: nil, calibrationFileId: nil, optionsJSON: "{}", webhookURL: nil, webhookSecret: nil, createdAt: start,
            updatedAt: start.addingTimeInterval(40), startedAt: start.addingTimeInterval(5),
            endedAt: status.isFinal ? start.addingTimeInterval(85) : nil, phase: status == .running ? "repair" : nil,
            epoch: status == .queued ? nil : 2, epochs: status == .queued ? nil : 3, step: 7, steps: 20, fraction: status == .running ? 0.45 : nil,
            loss: 2.5, etaSeconds: status == .running ? 150 : nil, message: "repair step 7", errorCode: nil, errorMessage: nil,
            cancelRequested: false, attempts: 1, tokenRegurgitationBefore: 0.6, tokenRegurgitationAfter: 0.2,
            spanExtractionBefore: 0.5, spanExtractionAfter: 0.125, inputsPurgedAt: nil, outputsPurgedAt: nil)
    }

    static func rate(_ count: Int, _ total: Int) -> String { "{\"count\":\(count),\"total\":\(total),\"rate\":\(total == 0 ? 0 : Double(count) / Double(total))}" }

    /// A report in the shape of `SanitizationReport` (only the fields the dashboard reads, plus some it ignores).
    static func report(labels: [String: (spanBefore: (Int, Int), spanAfter: (Int, Int), token: ((Int, Int), (Int, Int))?)],
                       overallSpan: ((Int, Int), (Int, Int)) = ((12, 24), (3, 24))) -> String {
        func stage(_ name: String, _ before: Bool) -> String {
            let span = labels.map { "\"\(json($0.key))\":\(rate(before ? $0.value.spanBefore.0 : $0.value.spanAfter.0, before ? $0.value.spanBefore.1 : $0.value.spanAfter.1))" }
            let token = labels.compactMap { l -> String? in
                guard let t = l.value.token else { return nil }
                let (c, n) = before ? t.0 : t.1
                return "\"\(json(l.key))\":\(rate(c, n))"
            }
            let (c, n) = before ? overallSpan.0 : overallSpan.1
            return """
            {"stage":"\(name)","tokenRegurgitation":\(rate(before ? 30 : 10, 50)),"tokenRegurgitationByLabel":{\(token.joined(separator: ","))},
             "spanExtraction":\(rate(c, n)),"spanExtractionByLabel":{\(span.joined(separator: ","))},
             "utility":{"perplexity":\(before ? 25.5 : 19.1),"accuracy":\(before ? 0.31 : 0.33),"positions":100,"split":"held-out"},"seconds":0.1}
            """
        }
        return "{\"method\":\"sani\",\"before\":\(stage("before", true)),\"epochs\":[\(stage("epoch-1", false))],\"after\":\(stage("after", false)),\"bestEpoch\":1}"
    }

    static func json(_ s: String) -> String {
        String(decoding: try! JSONEncoder().encode(s), as: UTF8.self).dropFirst().dropLast().description
    }

    /// The SVG's groups by their `data-label`, each group's markup (groups do not nest).
    static func groups(_ html: String, class name: String = "label-group") -> [String: String] {
        var out: [String: String] = [:]
        var rest = Substring(html)
        let open = "<g class=\"\(name)\" data-label=\""
        while let start = rest.range(of: open) {
            let afterOpen = rest[start.upperBound...]
            guard let quote = afterOpen.firstIndex(of: "\""), let end = afterOpen.range(of: "</g>") else { break }
            out[String(afterOpen[..<quote])] = String(afterOpen[..<end.lowerBound])
            rest = afterOpen[end.upperBound...]
        }
        return out
    }

    /// The value of `attribute` on the first `<rect>` whose class is exactly `classes`, in `markup`.
    static func rectAttribute(_ markup: String, classes: String, _ attribute: String) -> String? {
        guard let r = markup.range(of: "<rect class=\"\(classes)\"") else { return nil }
        let tag = markup[r.lowerBound...].prefix { $0 != ">" }
        guard let a = tag.range(of: " \(attribute)=\"") else { return nil }
        return String(tag[a.upperBound...].prefix { $0 != "\"" })
    }

    func testJobPageDrawsBeforeAndAfterBarsPerLabel() throws {
        let json = Self.report(labels: [
            "PATIENT": ((8, 10), (1, 10), ((9, 12), (3, 12))),
            "MRN": ((4, 8), (2, 8), ((5, 20), (5, 20))),
            "DATE": ((0, 6), (0, 6), nil),
        ])
        let figures = try XCTUnwrap(AuditFigures(reportJSON: json))
        XCTAssertEqual(figures.labels.map(\.label), ["DATE", "MRN", "PATIENT"])
        let html = JobPageRenderer(job: Self.job(.succeeded), audit: figures, now: Self.start.addingTimeInterval(100)).html()

        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 1, "one chart")
        let groups = Self.groups(html)
        XCTAssertEqual(Set(groups.keys), ["DATE", "MRN", "PATIENT"])
        XCTAssertNotNil(Self.groups(html, class: "overall")["all labels"])
        XCTAssertTrue(html.contains("data-labels=\"3\""))

        // Each bar's length is its rate (400 units at 100 %), and its figure is written next to it.
        let patient = try XCTUnwrap(groups["PATIENT"])
        XCTAssertEqual(Self.rectAttribute(patient, classes: "bar before span", "width"), "320")
        XCTAssertEqual(Self.rectAttribute(patient, classes: "bar after span", "width"), "40")
        XCTAssertEqual(Self.rectAttribute(patient, classes: "bar before span", "data-count"), "8")
        XCTAssertEqual(Self.rectAttribute(patient, classes: "bar after span", "data-total"), "10")
        XCTAssertEqual(Self.rectAttribute(patient, classes: "bar before token", "width"), "300")
        XCTAssertEqual(Self.rectAttribute(patient, classes: "bar after token", "width"), "100")
        for figure in ["80.0% (8/10)", "10.0% (1/10)", "75.0% (9/12)", "25.0% (3/12)"] {
            XCTAssertTrue(patient.contains(">\(figure)</text>"), "PATIENT lacks \(figure): \(patient)")
        }
        let mrn = try XCTUnwrap(groups["MRN"])
        XCTAssertTrue(mrn.contains(">50.0% (4/8)</text>") && mrn.contains(">25.0% (2/8)</text>"), mrn)
        XCTAssertTrue(mrn.contains(">25.0% (5/20)</text>"), mrn)
        // A label without token-regurgitation figures gets its span-extraction bars only; a zero rate a zero bar.
        let date = try XCTUnwrap(groups["DATE"])
        XCTAssertNil(Self.rectAttribute(date, classes: "bar before token", "width"))
        XCTAssertEqual(Self.rectAttribute(date, classes: "bar before span", "width"), "0")
        XCTAssertTrue(date.contains(">0.0% (0/6)</text>"), date)
        // All labels: the report's overall figures.
        let overall = try XCTUnwrap(Self.groups(html, class: "overall")["all labels"])
        XCTAssertTrue(overall.contains(">50.0% (12/24)</text>") && overall.contains(">12.5% (3/24)</text>"), overall)
        XCTAssertEqual(Self.rectAttribute(overall, classes: "bar before token", "width"), "240")

        // The same figures as a table, and utility.
        XCTAssertTrue(html.contains("<table id=\"audit-table\">"))
        XCTAssertTrue(html.contains("perplexity 25.50 → 19.10"), html)
        XCTAssertTrue(html.contains("<span id=\"job-status\" class=\"status succeeded\">succeeded</span>"))
        XCTAssertTrue(html.contains("data-final=\"true\""), "an ended job's page stops refreshing")
        XCTAssertTrue(html.contains("<span id=\"job-progress\">100%</span>"))
        XCTAssertTrue(html.contains("ran 1m20s"), html)

        // Self-contained: no external resource of any kind.
        let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        for external in ["src=", "<link", "@import", "url(", "http://", "https://", "//"] {
            XCTAssertFalse(withoutNamespace.contains(external), "the page loads something: \(external)")
        }

        // The text page has the same figures, per label.
        let text = JobPageRenderer(job: Self.job(.succeeded), audit: figures, now: Self.start.addingTimeInterval(100)).text()
        XCTAssertTrue(text.contains("AUDIT (before → after sanitization)"), text)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("PATIENT") }, text)
        XCTAssertTrue(line.contains("80.0% → 10.0%") && line.contains("75.0% → 25.0%"), String(line))
    }

    func testAReportWithoutLabelsStillDrawsAllLabels() throws {
        // The fake executor's report: empty per-label maps.
        let figures = try XCTUnwrap(AuditFigures(reportJSON: FakeExecutor.report))
        XCTAssertEqual(figures.labels, [])
        let html = JobPageRenderer(job: Self.job(.succeeded), audit: figures).html()
        XCTAssertEqual(Self.groups(html), [:])
        let overall = try XCTUnwrap(Self.groups(html, class: "overall")["all labels"])
        XCTAssertEqual(Self.rectAttribute(overall, classes: "bar before token", "width"), "200")  // 10/20
        XCTAssertNil(AuditFigures(reportJSON: "{\"fake\":true}"))
        XCTAssertNil(AuditFigures(reportJSON: "not json"))
    }

    func testTheReportIsLinkedOnlyForAViewerWhoCanReadIt() throws {
        let figures = try XCTUnwrap(AuditFigures(reportJSON: FakeExecutor.report))
        let job = Self.job(.succeeded)
        let own = JobPageRenderer(job: job, audit: figures).html()
        XCTAssertTrue(own.contains("<a href=\"/v1/jobs/\(job.id)/audit\">"), own)
        // An admin key of another tenant sees the page, but GET /v1/jobs/{id}/audit answers it 404.
        let other = JobPageRenderer(job: job, audit: figures, showTenant: true, reportLinked: false).html()
        XCTAssertFalse(other.contains("href=\"/v1/jobs/\(job.id)/audit\""), other)
        XCTAssertTrue(other.contains("readable with a key of tenant tenant-a"), other)
    }

    func testEverythingFromUsersIsEscaped() throws {
        let hostile = "<script>alert('x')</script>"
        var job = Self.job(.failed)
        job.errorCode = "invalid_corpus"
        job.errorMessage = "invalid corpus at line 3: unknown label \(hostile)"
        job.tenant = "<b>tenant</b>"
        let file = FileRecord(seq: 1, id: job.corpusFileId, tenant: job.tenant, name: "notes\(hostile).jsonl", kind: "file",
                              source: "upload", size: 2048, sha256: "00", path: "/tmp/x", entries: nil, createdAt: Self.start)
        let figures = try XCTUnwrap(AuditFigures(reportJSON: Self.report(labels: [hostile: ((1, 2), (0, 2), ((1, 4), (0, 4)))])))
        let event = EventRecord(id: 1, jobId: job.id, at: Self.start, type: "status", status: .failed, phase: nil, epoch: nil,
                                step: nil, steps: nil, fraction: nil, loss: nil, etaSeconds: nil, message: "failed: <img src=x onerror=alert(1)>")
        let page = JobPageRenderer(job: job, inputs: [.init(role: "corpus", id: job.corpusFileId, file: file)], audit: figures,
                                   events: [event], showTenant: true, now: Self.start)
        let html = page.html()
        // The only script element is the page's own refresh script.
        XCTAssertEqual(html.components(separatedBy: "<script").count - 1, 1, html)
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("<b>tenant"))
        XCTAssertTrue(html.contains("unknown label &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), html)
        XCTAssertTrue(html.contains("notes&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;.jsonl"), html)
        XCTAssertTrue(html.contains("failed: &lt;img src=x onerror=alert(1)&gt;"), html)
        XCTAssertTrue(html.contains("&lt;b&gt;tenant&lt;/b&gt;"))
        // The label, in the chart's attribute and text, and in the table.
        XCTAssertNotNil(Self.groups(html)["&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"], html)
        XCTAssertTrue(html.contains("<tr><td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</td>"), html)

        // The jobs table escapes the failed job's message and the tenant too.
        let list = DashboardRenderer(jobs: [job], showTenant: true, now: Self.start).html(summary: "sani · \(hostile)")
        XCTAssertEqual(list.components(separatedBy: "<script").count - 1, 1, list)
        XCTAssertTrue(list.contains("unknown label &lt;script&gt;"), list)
        XCTAssertTrue(list.contains("<p id=\"summary\">sani · &lt;script&gt;"), list)
    }

    func testRunningJobShowsProgressAndETA() throws {
        let job = Self.job(.running)  // ETA 150 s estimated at start + 40 s: ends at start + 190 s = 11:09:50 UTC
        let now = Self.start.addingTimeInterval(70)
        let page = JobPageRenderer(job: job, now: now)
        XCTAssertEqual(JobPageRenderer.eta(job, now: now), "ETA 2m00s (about 11:09:50 UTC)")
        // Past the estimate: zero left, not a negative time.
        XCTAssertEqual(JobPageRenderer.eta(job, now: Self.start.addingTimeInterval(400)), "ETA 0s (about 11:09:50 UTC)")
        XCTAssertNil(JobPageRenderer.eta(Self.job(.succeeded), now: now))
        XCTAssertNil(JobPageRenderer.eta(Self.job(.queued), now: now))
        let html = page.html()
        XCTAssertTrue(html.contains("<span id=\"job-eta\">ETA 2m00s (about 11:09:50 UTC)</span>"), html)
        XCTAssertTrue(html.contains("<progress max=\"100\" value=\"45\"></progress> <span id=\"job-progress\">45%</span>"), html)
        XCTAssertTrue(html.contains("repair · epoch 2/3 · step 7/20 · loss 2.500"), html)
        XCTAssertTrue(html.contains("data-final=\"false\""), "a running job's page refreshes")
        XCTAssertTrue(html.contains("<noscript><meta http-equiv=\"refresh\" content=\"5\"></noscript>"))
        XCTAssertTrue(html.contains("The audit is drawn here when the job succeeds."))
        XCTAssertTrue(page.text().contains("eta       ETA 2m00s (about 11:09:50 UTC)"), page.text())
        // The jobs table shows the same ETA and links the job's page.
        let list = DashboardRenderer(jobs: [job], showTenant: false, now: now)
        XCTAssertTrue(list.text(summary: "").contains("ETA 2m00s (about 11:09:50 UTC)"), list.text(summary: ""))
        let listHTML = list.html(summary: "")
        XCTAssertTrue(listHTML.contains("<a href=\"/v1/dashboard/jobs/\(job.id)\">"), listHTML)
        XCTAssertTrue(listHTML.contains(">50.0% → 12.5%</td>"), listHTML)
    }

    func testEventsAreTheLatestWithTheirCount() throws {
        let job = Self.job(.succeeded)
        let events = (71...120).map { i in
            EventRecord(id: Int64(i), jobId: job.id, at: Self.start.addingTimeInterval(Double(i)), type: "progress", status: .running,
                        phase: "repair", epoch: 1, step: i, steps: 120, fraction: Double(i) / 120, loss: 1, etaSeconds: 1,
                        message: "repair step \(i)")
        }
        let html = JobPageRenderer(job: job, events: events, eventCount: 120).html()
        XCTAssertTrue(html.contains("The last 50 of 120 events"), html)
        XCTAssertTrue(html.contains("<td>repair step 71</td>") && html.contains("<td>repair step 120</td>"))
        XCTAssertTrue(html.range(of: "repair step 71")!.lowerBound < html.range(of: "repair step 120")!.lowerBound, "oldest first")
        XCTAssertTrue(html.contains("<td>11:08:40</td>"), html)  // start + 120 s
    }

    // MARK: the routes

    func testJobPageOverHTTPFollowsTheTenantRules() async throws {
        let report = Self.report(labels: ["PATIENT": ((8, 10), (1, 10), ((9, 12), (3, 12))), "MRN": ((4, 8), (2, 8), nil)])
        let server = try await TestServer.start(executor: FakeExecutor(steps: 4, report: report)) { c in
            c.apiKeys.append(ConfiguredAPIKey(tenant: "operations", key: "test-key-admin-0123456789", admin: true))
        }
        let recorder = ConformanceRecorder()
        let a = server.client(recorder: recorder)
        let b = server.client(TestServer.keyB)
        let admin = server.client("test-key-admin-0123456789")
        let work = try TestServer.temporaryFolder("dashboard")
        let id = try await a.createJob(try await FakeInputs.upload(a, in: work))
        let done = try await server.waitForJob(id, client: a) { TestServer.isFinal($0) }
        XCTAssertEqual(done["status"] as? String, "succeeded")

        let html = try await a.send("GET", "/v1/dashboard/jobs/\(id)", headers: ["Accept": "text/html,application/xhtml+xml"])
        XCTAssertEqual(html.status, 200, html.text)
        XCTAssertTrue(html.headers["content-type"]?.hasPrefix("text/html") ?? false)
        XCTAssertEqual(html.headers["cache-control"], "no-store")
        XCTAssertTrue(html.text.contains("<code id=\"job-id\">\(id)</code>"))
        XCTAssertEqual(Set(Self.groups(html.text).keys), ["MRN", "PATIENT"])
        XCTAssertTrue(html.text.contains("corpus.jsonl"), "the corpus's file name")
        XCTAssertTrue(html.text.contains("<td>validating</td>") && html.text.contains("<td>succeeded</td>"), "the status events")
        let text = try await a.send("GET", "/v1/dashboard/jobs/\(id)")
        XCTAssertTrue(text.headers["content-type"]?.hasPrefix("text/plain") ?? false)
        XCTAssertTrue(text.text.contains("PATIENT") && text.text.contains("80.0% → 10.0%"), text.text)

        // The jobs page links it.
        let list = try await a.send("GET", "/v1/dashboard", headers: ["Accept": "text/html"])
        XCTAssertTrue(list.text.contains("<a href=\"/v1/dashboard/jobs/\(id)\">"), list.text)

        // Tenant B gets the answer of an id that never existed; the admin key sees every tenant's job.
        let other = try await b.send("GET", "/v1/dashboard/jobs/\(id)", headers: ["Accept": "text/html"])
        let unknown = try await b.send("GET", "/v1/dashboard/jobs/job_00000000000000000000", headers: ["Accept": "text/html"])
        XCTAssertEqual(other.status, 404)
        XCTAssertEqual(other.errorCode, "not_found")
        XCTAssertTrue(other.headers["content-type"]?.hasPrefix("application/json") ?? false)
        XCTAssertEqual(other.text.replacingOccurrences(of: id, with: "<id>"),
                       unknown.text.replacingOccurrences(of: "job_00000000000000000000", with: "<id>"))
        XCTAssertFalse(other.text.contains("PATIENT"))
        let seen = try await admin.send("GET", "/v1/dashboard/jobs/\(id)", headers: ["Accept": "text/html"])
        XCTAssertEqual(seen.status, 200)
        XCTAssertTrue(seen.text.contains("<dt>Tenant</dt><dd>tenant-a</dd>"), seen.text)
        let anonymous = try await server.client(nil).send("GET", "/v1/dashboard/jobs/\(id)")
        XCTAssertEqual(anonymous.status, 401)

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }
}
