import SaniEngine

/// Generates a synthetic clinical corpus: admission notes, progress notes, discharge summaries, follow-up
/// visits and referral letters about fictitious patients, with every embedded identifier annotated.
///
/// Each patient appears in several notes, always with the same name, medical record number, date of
/// birth and phone number, in notes whose opening line is always "Patient: NAME, MRN NUMBER, DOB DATE.":
/// a small model fine-tuned on the corpus memorizes those identifiers quickly, which is what the
/// sanitization is then measured against. The rest of each note (history, findings, plans, values,
/// dates, doctors) varies from note to note.
///
/// Spans are Unicode-scalar offsets (half-open, source `.annotation`) with i2b2 labels (`DemoLabel`).
/// The corpus depends only on the seed and the counts: the same call gives the same corpus everywhere.
public struct DemoCorpusGenerator: Sendable {
    /// The seed every random choice derives from.
    public let seed: UInt64

    /// The notes' length in characters (Unicode scalars) that the generator aims at.
    public static let noteLengthRange = 300...900

    /// The labels the generator gives its spans.
    public static let labels: [String] = DemoLabel.allCases.map(\.rawValue)

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// The number of patients when the caller gives none: about one for four records (at least one).
    public static func defaultPatients(records: Int) -> Int {
        max(1, (max(records, 0) + 2) / 4)
    }

    /// A corpus of `records` notes about `patients` patients (by default `defaultPatients(records:)`;
    /// clamped to `1...records`). Records come in a shuffled order; their subjects are "patient-0001"...
    /// Fewer than one record gives an empty corpus.
    public func generate(records: Int, patients: Int? = nil) -> Corpus {
        generate(records: records, patients: patients, heldOutRecords: 0).train
    }

    /// A training corpus and a held-out corpus about different patients (the held-out patients'
    /// subjects follow the training ones'). The training corpus is the one `generate(records:patients:)`
    /// gives for the same seed and counts. `heldOutPatients` defaults to `defaultPatients(records:
    /// heldOutRecords)` and is clamped like `patients`.
    public func generate(
        records: Int, patients: Int? = nil, heldOutRecords: Int, heldOutPatients: Int? = nil
    ) -> (train: Corpus, heldOut: Corpus) {
        let trainCount = max(0, records)
        let heldOutCount = max(0, heldOutRecords)
        let trainPatients = Self.patientCount(patients, records: trainCount)
        let heldOutPatientCount = Self.patientCount(heldOutPatients, records: heldOutCount)

        let seeds = streamSeeds
        let roster = roster(patients: trainPatients + heldOutPatientCount)
        let train = DemoNoteSeries(roster: roster, seed: seeds.train)
            .records(count: trainCount, patients: Array(roster.patients.prefix(trainPatients)))
        let heldOut = DemoNoteSeries(roster: roster, seed: seeds.heldOut)
            .records(count: heldOutCount, patients: Array(roster.patients.dropFirst(trainPatients)))
        return (Corpus(records: train), Corpus(records: heldOut))
    }

    /// The people of a corpus with `patients` patients (training patients first, then held-out ones).
    func roster(patients: Int) -> DemoRoster {
        DemoRoster(seed: streamSeeds.roster, patients: patients)
    }

    /// The seeds of the independent random streams: the roster, the training notes, the held-out notes.
    private var streamSeeds: (roster: UInt64, train: UInt64, heldOut: UInt64) {
        var seeds = RandomSource(seed: seed)
        return (seeds.next(), seeds.next(), seeds.next())
    }

    /// The number of patients for `records` records: the request clamped to `1...records`, or the default.
    static func patientCount(_ requested: Int?, records: Int) -> Int {
        guard records > 0 else { return 0 }
        return min(max(requested ?? defaultPatients(records: records), 1), records)
    }
}
