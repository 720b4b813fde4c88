import Foundation
import XCTest
@testable import Sani

final class DemoDataGeneratorTests: XCTestCase {
    func testSameSeedGivesTheSameCorpus() {
        let first = DemoCorpusGenerator(seed: 42).generate(records: 80)
        let second = DemoCorpusGenerator(seed: 42).generate(records: 80)
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.jsonl(), second.jsonl())
    }

    func testDifferentSeedsGiveDifferentCorpora() {
        let first = DemoCorpusGenerator(seed: 1).generate(records: 40)
        let second = DemoCorpusGenerator(seed: 2).generate(records: 40)
        XCTAssertNotEqual(first, second)
        let firstTexts = Set(first.records.map(\.text))
        XCTAssertTrue(second.records.allSatisfy { !firstTexts.contains($0.text) })
    }

    func testRecordAndPatientCounts() {
        let generator = DemoCorpusGenerator(seed: 3)
        let byDefault = generator.generate(records: 100)
        XCTAssertEqual(byDefault.records.count, 100)
        XCTAssertEqual(byDefault.statistics.subjects, 25)
        XCTAssertEqual(byDefault.statistics.recordsWithoutSubject, 0)
        XCTAssertEqual(generator.generate(records: 30, patients: 7).statistics.subjects, 7)
        XCTAssertEqual(generator.generate(records: 5, patients: 50).statistics.subjects, 5)
        XCTAssertEqual(generator.generate(records: 5, patients: 0).statistics.subjects, 1)
        XCTAssertEqual(generator.generate(records: 1).records.count, 1)
        XCTAssertTrue(generator.generate(records: 0).records.isEmpty)
        XCTAssertTrue(generator.generate(records: -3).records.isEmpty)
        XCTAssertEqual(DemoCorpusGenerator.defaultPatients(records: 1), 1)
        XCTAssertEqual(DemoCorpusGenerator.defaultPatients(records: 400), 100)
    }

    func testSubjectsAreStablePatientIds() {
        let corpus = DemoCorpusGenerator(seed: 4).generate(records: 40, patients: 10)
        let subjects = Set(corpus.records.compactMap(\.subject))
        XCTAssertEqual(subjects, Set((1...10).map { String(format: "patient-%04d", $0) }))
    }

    func testNotesHaveTheTargetLength() {
        for seed: UInt64 in [5, 6, 7] {
            let corpus = DemoCorpusGenerator(seed: seed).generate(records: 300)
            for record in corpus.records {
                let length = record.text.unicodeScalars.count
                XCTAssertTrue(
                    DemoCorpusGenerator.noteLengthRange.contains(length),
                    "note of \(length) characters:\n\(record.text)")
            }
        }
    }

    func testNotesAreVaried() {
        let corpus = DemoCorpusGenerator(seed: 8).generate(records: 200)
        let texts = corpus.records.map(\.text)
        XCTAssertEqual(Set(texts).count, texts.count, "every note is different")
        let openings = Set(texts.compactMap { $0.split(separator: "\n").first.map(String.init) })
        XCTAssertGreaterThanOrEqual(openings.count, 10, "several kinds of notes with several titles")
        for section in ["Chief complaint:", "HPI:", "Medications:", "Assessment and plan:", "Follow-up:",
                        "Hospital course:", "Discharge medications:", "Dear Dr.", "Subjective:", "Plan:"] {
            XCTAssertTrue(texts.contains { $0.contains(section) }, "no note has \(section)")
        }
        XCTAssertTrue(texts.allSatisfy { $0.contains("Patient: ") && $0.contains(", MRN ") && $0.contains(", DOB ") })
    }

    func testSpansAreWellFormed() {
        let corpus = DemoCorpusGenerator(seed: 9).generate(records: 400)
        var labels = Set<String>()
        for record in corpus.records {
            let scalarCount = record.text.unicodeScalars.count
            var previousEnd = 0
            for span in record.annotations {
                XCTAssertEqual(span.source, .annotation)
                XCTAssertLessThan(span.start, span.end)
                XCTAssertGreaterThanOrEqual(span.start, previousEnd, "spans are sorted and disjoint")
                XCTAssertLessThanOrEqual(span.end, scalarCount)
                previousEnd = span.end
                let text = span.text(in: record.text)
                XCTAssertFalse(text.isEmpty)
                XCTAssertEqual(text, text.trimmingCharacters(in: .whitespacesAndNewlines), "span \(span.label) \(text)")
                XCTAssertTrue(DemoCorpusGenerator.labels.contains(span.label))
                labels.insert(span.label)
            }
        }
        XCTAssertEqual(labels, Set(DemoCorpusGenerator.labels), "every label occurs")
    }

    /// Each span covers exactly an identifier of the roster (or of the note: dates, encounter ids, ages).
    func testSpanTextsAreTheIdentifiersTheyWereBuiltFrom() throws {
        let generator = DemoCorpusGenerator(seed: 10)
        let corpus = generator.generate(records: 300)
        let roster = generator.roster(patients: DemoCorpusGenerator.defaultPatients(records: 300))
        let patients = Dictionary(uniqueKeysWithValues: roster.patients.map { ($0.subject, $0) })
        let doctorNames = Set(roster.doctors.flatMap { [$0.fullName, $0.lastName] })
        let facilities = Set(DemoPlaces.hospitals.map(\.name) + DemoPlaces.clinics.map(\.facility.name))
        let cities = Set(DemoPlaces.cities.map(\.name))
        let facilityPhones = Set(roster.doctors.map(\.phone))
        let doctorEmails = Set(roster.doctors.map(\.email))
        let datePattern = try NSRegularExpression(
            pattern: #"^(\d{2}/\d{2}/\d{4}|\d{4}-\d{2}-\d{2}|[A-Z][a-z]+ \d{1,2}, \d{4}|\d{1,2} [A-Z][a-z]+ \d{4})$"#)

        for record in corpus.records {
            let patient = try XCTUnwrap(record.subject.flatMap { patients[$0] })
            for span in record.annotations {
                let text = span.text(in: record.text)
                switch span.label {
                case "PATIENT":
                    XCTAssertTrue([patient.fullName, patient.lastName].contains(text), text)
                case "MEDICALRECORD": XCTAssertEqual(text, patient.medicalRecordNumber)
                case "PHONE": XCTAssertTrue(text == patient.phone || facilityPhones.contains(text), text)
                case "EMAIL": XCTAssertTrue(text == patient.email || doctorEmails.contains(text), text)
                case "SSN": XCTAssertEqual(text, patient.socialSecurityNumber)
                case "STREET": XCTAssertEqual(text, patient.street)
                case "ZIP": XCTAssertEqual(text, patient.zip)
                case "CITY": XCTAssertTrue(cities.contains(text), text)
                case "HOSPITAL": XCTAssertTrue(facilities.contains(text), text)
                case "DOCTOR": XCTAssertTrue(doctorNames.contains(text), text)
                case "AGE":
                    let age = try XCTUnwrap(Int(text))
                    XCTAssertTrue((18...105).contains(age), text)
                case "DATE":
                    XCTAssertEqual(datePattern.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text)), 1, text)
                case "IDNUM": XCTAssertTrue(text.count == 8 && text.allSatisfy(\.isNumber), text)
                default: XCTFail("unexpected label \(span.label)")
                }
            }
            XCTAssertTrue(record.text.contains(
                "Patient: \(patient.fullName), MRN \(patient.medicalRecordNumber), DOB \(patient.birthDateText)."))
        }
    }

    /// A patient's name, MRN, date of birth and phone are the same in all their notes, and no two
    /// patients share an MRN.
    func testPatientIdentifiersAreConsistentAcrossNotes() throws {
        let corpus = DemoCorpusGenerator(seed: 11).generate(records: 200)
        var identifiers: [String: [String: Set<String>]] = [:]
        var notesPerSubject: [String: Int] = [:]
        for record in corpus.records {
            let subject = try XCTUnwrap(record.subject)
            notesPerSubject[subject, default: 0] += 1
            let header = try XCTUnwrap(record.text.split(separator: "\n").first { $0.hasPrefix("Patient: ") })
            identifiers[subject, default: [:]]["header", default: []].insert(String(header))
            for span in record.annotations where ["MEDICALRECORD", "SSN", "STREET", "ZIP"].contains(span.label) {
                identifiers[subject, default: [:]][span.label, default: []].insert(span.text(in: record.text))
            }
            // The first PATIENT span is the full name of the "Patient:" line.
            let name = try XCTUnwrap(record.annotations.first { $0.label == "PATIENT" }).text(in: record.text)
            XCTAssertTrue(header.hasPrefix("Patient: \(name), MRN "))
            identifiers[subject, default: [:]]["name", default: []].insert(name)
        }
        XCTAssertEqual(notesPerSubject.count, 50)
        XCTAssertTrue(notesPerSubject.values.allSatisfy { $0 == 4 })
        for (subject, kinds) in identifiers {
            for (kind, values) in kinds {
                XCTAssertEqual(values.count, 1, "\(subject) has several \(kind): \(values)")
            }
        }
        let mrns = identifiers.values.compactMap { $0["MEDICALRECORD"]?.first }
        XCTAssertEqual(Set(mrns).count, mrns.count, "MRNs are unique")
        let names = identifiers.values.compactMap { $0["name"]?.first }
        XCTAssertEqual(Set(names).count, names.count, "names are unique")
    }

    func testSomePatientsAreOverEightyNine() {
        let corpus = DemoCorpusGenerator(seed: 12).generate(records: 400)
        let ages = corpus.records.flatMap { record in
            record.annotations.filter { $0.label == "AGE" }.compactMap { Int($0.text(in: record.text)) }
        }
        XCTAssertTrue(ages.contains { $0 >= 90 })
        XCTAssertTrue(ages.contains { $0 < 90 })
    }

    func testHeldOutCorpusHasOtherPatients() {
        let generator = DemoCorpusGenerator(seed: 13)
        let (train, heldOut) = generator.generate(records: 60, heldOutRecords: 20)
        XCTAssertEqual(train, generator.generate(records: 60), "the training part is the plain corpus")
        XCTAssertEqual(heldOut.records.count, 20)
        XCTAssertEqual(heldOut.statistics.subjects, 5)
        let trainSubjects = Set(train.records.compactMap(\.subject))
        let heldOutSubjects = Set(heldOut.records.compactMap(\.subject))
        XCTAssertTrue(trainSubjects.isDisjoint(with: heldOutSubjects))
        func mrns(_ corpus: Corpus) -> Set<String> {
            Set(corpus.records.flatMap { record in
                record.annotations.filter { $0.label == "MEDICALRECORD" }.map { $0.text(in: record.text) }
            })
        }
        XCTAssertTrue(mrns(train).isDisjoint(with: mrns(heldOut)))
        XCTAssertTrue(generator.generate(records: 10, heldOutRecords: 0).heldOut.records.isEmpty)
    }

    func testSummaryCountsSpansPerLabel() {
        let corpus = DemoCorpusGenerator(seed: 14).generate(records: 20)
        let summary = DemoCorpusSummary(corpus)
        XCTAssertEqual(summary.records, 20)
        XCTAssertEqual(summary.patients, 5)
        XCTAssertEqual(summary.spans, corpus.records.map(\.annotations.count).reduce(0, +))
        XCTAssertTrue(summary.description.hasPrefix("20 records, 5 patients, "))
        XCTAssertTrue(summary.description.contains("MEDICALRECORD \(summary.spansPerLabel["MEDICALRECORD"] ?? -1)"))
    }

    func testDatesConvertAndFormat() {
        let date = DemoDate(year: 2021, month: 3, day: 4)
        XCTAssertEqual(DemoDate(dayNumber: date.dayNumber), date)
        XCTAssertEqual(DemoDate(year: 1970, month: 1, day: 1).dayNumber, 0)
        XCTAssertEqual(DemoDate(year: 2000, month: 2, day: 28).adding(days: 1), DemoDate(year: 2000, month: 2, day: 29))
        XCTAssertEqual(DemoDate(year: 2021, month: 12, day: 31).adding(days: 1), DemoDate(year: 2022, month: 1, day: 1))
        XCTAssertEqual(DemoDate(year: 1950, month: 6, day: 15).age(on: DemoDate(year: 2021, month: 6, day: 14)), 70)
        XCTAssertEqual(DemoDate(year: 1950, month: 6, day: 15).age(on: DemoDate(year: 2021, month: 6, day: 15)), 71)
        XCTAssertEqual(date.written(.us), "03/04/2021")
        XCTAssertEqual(date.written(.iso), "2021-03-04")
        XCTAssertEqual(date.written(.long), "March 4, 2021")
        XCTAssertEqual(date.written(.short), "Mar 4, 2021")
        XCTAssertEqual(date.written(.dayFirst), "4 March 2021")
        for day in stride(from: -30_000, to: 30_000, by: 37) {
            XCTAssertEqual(DemoDate(dayNumber: day).dayNumber, day)
        }
    }
}
