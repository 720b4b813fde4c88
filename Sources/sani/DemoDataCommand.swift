import ArgumentParser
import Foundation
import Sani

/// `sani demo-data`: writes a synthetic clinical corpus (fake patients, annotated identifiers) as JSONL,
/// and optionally a held-out corpus about other fake patients.
struct DemoDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-data",
        abstract: "Write a synthetic clinical corpus with annotated fake identifiers (JSONL).",
        discussion: """
            Notes (admission, progress, discharge, follow-up, referral) about fictitious patients, each \
            patient in several notes with the same name, MRN, date of birth and phone number, so that a \
            model fine-tuned on the corpus memorizes them. Every identifier is annotated with an i2b2 label \
            (PATIENT, DOCTOR, HOSPITAL, CITY, STREET, ZIP, DATE, MEDICALRECORD, PHONE, EMAIL, AGE, SSN, \
            IDNUM). The same seed and counts always give the same files.
            """
    )

    /// The largest corpus the command writes (a few hundred megabytes of notes).
    static let maximumRecords = 1_000_000

    @Option(help: "Number of notes.") var records = 200
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "The JSONL file to write.") var out: String
    @Option(help: "Number of distinct patients (default: about one for four notes).") var patients: Int?
    @Option(help: "Also write a held-out corpus about other patients to this JSONL file.") var heldOut: String?
    @Option(help: "Number of held-out notes (default: a quarter of --records).") var heldOutRecords: Int?

    func validate() throws {
        guard (1...Self.maximumRecords).contains(records) else {
            throw ValidationError("--records must be between 1 and \(Self.maximumRecords) (got \(records))")
        }
        if let patients, !(1...records).contains(patients) {
            throw ValidationError("--patients must be between 1 and --records (\(records)); got \(patients)")
        }
        if out.isEmpty { throw ValidationError("--out must name a file") }
        if let heldOutRecords {
            guard heldOut != nil else {
                throw ValidationError("--held-out-records needs --held-out FILE")
            }
            guard (1...Self.maximumRecords).contains(heldOutRecords) else {
                throw ValidationError(
                    "--held-out-records must be between 1 and \(Self.maximumRecords) (got \(heldOutRecords))")
            }
        }
        if let heldOut {
            if heldOut.isEmpty { throw ValidationError("--held-out must name a file") }
            if URL(fileURLWithPath: heldOut).standardizedFileURL == URL(fileURLWithPath: out).standardizedFileURL {
                throw ValidationError("--held-out and --out must be different files")
            }
        }
    }

    func run() throws {
        let generator = DemoCorpusGenerator(seed: seed)
        if let heldOut {
            let heldOutCount = heldOutRecords ?? max(1, records / 4)
            let corpora = generator.generate(records: records, patients: patients, heldOutRecords: heldOutCount)
            try write(corpora.train, to: out)
            try write(corpora.heldOut, to: heldOut)
        } else {
            try write(generator.generate(records: records, patients: patients), to: out)
        }
    }

    /// Writes `corpus` to `path` atomically (a temporary file renamed into place) and prints its summary.
    private func write(_ corpus: Corpus, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try corpus.jsonl().write(to: url, options: .atomic)
        } catch {
            throw SaniError.io(path: path, reason: (error as NSError).localizedDescription)
        }
        print("\(path): \(DemoCorpusSummary(corpus))")
    }
}
