/// Writes the notes of a group of patients: how many notes each patient gets, which kinds, on which
/// dates, and at which level of detail so that each note stays within `noteLengthRange`.
struct DemoNoteSeries {
    let roster: DemoRoster
    private var random: DemoRandom

    init(roster: DemoRoster, seed: UInt64) {
        self.roster = roster
        random = DemoRandom(seed: seed)
    }

    /// `count` notes spread as evenly as possible over `patients`, in a shuffled order.
    func records(count: Int, patients: [DemoPatient]) -> [CorpusRecord] {
        guard count > 0, !patients.isEmpty else { return [] }
        var series = self
        var perPatient = [Int](repeating: count / patients.count, count: patients.count)
        for index in series.random.sample(Array(patients.indices), count: count % patients.count) {
            perPatient[index] += 1
        }
        var records: [CorpusRecord] = []
        records.reserveCapacity(count)
        for (patient, notes) in zip(patients, perPatient) where notes > 0 {
            for (kind, date, detail) in series.plan(notes, for: patient) {
                records.append(series.note(kind, about: patient, on: date, extra: detail))
            }
        }
        return series.random.shuffled(records)
    }

    /// The kinds and dates of a patient's `count` notes, each with its kind-specific number (hospital day
    /// of a progress note, weeks since discharge of a follow-up visit).
    private mutating func plan(_ count: Int, for patient: DemoPatient) -> [(DemoNoteKind, DemoDate, Int)] {
        var kinds: [DemoNoteKind]
        if count == 1 {
            kinds = [random.pick(DemoNoteKind.allCases, or: .discharge)]
        } else {
            kinds = [.admission, .discharge]
            let extras: [DemoNoteKind] = random.shuffled([.followUp, .progress, .referral, .followUp])
            var progressNotes = 0
            for index in 0..<(count - 2) {
                var kind = extras[index % extras.count]
                if kind == .progress {
                    if progressNotes >= patient.lengthOfStay - 1 { kind = .followUp } else { progressNotes += 1 }
                }
                kinds.append(kind)
            }
        }
        var seen: [DemoNoteKind: Int] = [:]
        var plan: [(DemoNoteKind, DemoDate, Int)] = []
        for kind in kinds {
            let occurrence = seen[kind, default: 0]
            seen[kind] = occurrence + 1
            switch kind {
            case .admission:
                plan.append((kind, patient.admissionDate, 0))
            case .progress:
                let day = 2 + occurrence
                plan.append((kind, patient.admissionDate.adding(days: day - 1), day))
            case .discharge:
                plan.append((kind, patient.dischargeDate, 0))
            case .followUp:
                let days = 14 + 42 * occurrence + random.int(in: 0...6)
                plan.append((kind, patient.dischargeDate.adding(days: days), days / 7))
            case .referral:
                let days = 30 + 60 * occurrence + random.int(in: 0...10)
                plan.append((kind, patient.dischargeDate.adding(days: days), 0))
            }
        }
        return plan
    }

    /// One note, written at the level of detail that keeps it within `noteLengthRange` (the preferred
    /// level when it fits; else lower levels for a long note, higher ones for a short note).
    private mutating func note(_ kind: DemoNoteKind, about patient: DemoPatient, on date: DemoDate, extra: Int)
        -> CorpusRecord
    {
        let range = DemoCorpusGenerator.noteLengthRange
        let preferred = random.int(in: 0...2)
        let start = random
        var written = write(kind, patient, date, extra, detail: preferred, random: start)
        var best = written
        let step = written.length > range.upperBound ? -1 : 1
        var detail = preferred
        while !range.contains(written.length) {
            detail += step
            guard (0...3).contains(detail) else { break }
            written = write(kind, patient, date, extra, detail: detail, random: start)
            if Self.distance(written.length, to: range) < Self.distance(best.length, to: range) { best = written }
            // Past the range on the other side: adding or removing detail cannot help further.
            if step < 0 ? written.length < range.lowerBound : written.length > range.upperBound { break }
        }
        random = best.random
        return best.record
    }

    /// How far `length` is outside `range` (0 inside).
    private static func distance(_ length: Int, to range: ClosedRange<Int>) -> Int {
        length < range.lowerBound ? range.lowerBound - length : max(0, length - range.upperBound)
    }

    private func write(
        _ kind: DemoNoteKind, _ patient: DemoPatient, _ date: DemoDate, _ extra: Int, detail: Int,
        random: DemoRandom
    ) -> (record: CorpusRecord, length: Int, random: DemoRandom) {
        var note = DemoNoteWriter(
            patient: patient, roster: roster, date: date, detail: detail, random: random)
        switch kind {
        case .admission: AdmissionNoteTemplate.write(&note)
        case .progress: ProgressNoteTemplate.write(&note, hospitalDay: extra)
        case .discharge: DischargeSummaryTemplate.write(&note)
        case .followUp: FollowUpVisitTemplate.write(&note, weeksAfterDischarge: extra)
        case .referral: ReferralLetterTemplate.write(&note)
        }
        let record = note.record
        return (record, record.text.unicodeScalars.count, note.random)
    }
}
