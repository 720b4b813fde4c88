/// A daily progress note during the hospital stay (subjective, objective, assessment and plan).
enum ProgressNoteTemplate {
    static let subjective = [
        "Feels better this morning, slept well.",
        "Still tired but breathing is easier.",
        "Reports mild pain overnight, controlled with medication.",
        "No new complaints. Tolerating diet.",
        "Ambulated in the hallway with nursing.",
    ]
    static let trends = ["improving", "stable", "slowly improving", "much improved"]

    static func write(_ note: inout DemoNoteWriter, hospitalDay: Int) {
        note.lineOf([
            "PROGRESS NOTE, hospital day \(hospitalDay)",
            "Daily progress note - day \(hospitalDay)",
            "Inpatient progress note (hospital day \(hospitalDay))",
        ])
        note.patientLine()
        note.lineOf(["Date: {date}. {hospital}.", "{hospital}, {date}."])
        note.line("Subjective: " + note.random.pick(subjective))
        note.line("Objective: T {tnormal} C, BP {bp}, HR {hr}, RR {rr}, SpO2 {spo2}%.")
        if note.include(atDetail: 1) { note.line(note.random.pick(note.condition.findings)) }
        note.line("Assessment and plan: {Diagnosis}, \(note.random.pick(trends)).")
        note.line(note.random.pick(note.condition.courses))
        if note.include(atDetail: 1, orChance: 0.5) { note.line("Continue {treatment}.") }
        if note.include(atDetail: 2, orChance: 0.4) {
            note.lineOf([
                "Discussed with Dr. {specialist} ({specialty}).",
                "Followed by {specialty}, Dr. {specialist}.",
            ])
        }
        if note.include(atDetail: 2, orChance: 0.3) {
            note.line("Updated family by phone at {phone}.")
        }
        note.line("Dr. {attending}")
    }
}
