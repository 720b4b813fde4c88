/// An outpatient follow-up visit at the specialist's clinic.
enum FollowUpVisitTemplate {
    static func write(_ note: inout DemoNoteWriter, weeksAfterDischarge: Int) {
        note.lineOf(["FOLLOW-UP VISIT", "Clinic follow-up note", "Outpatient visit"])
        note.line("{specialistClinic}, {date}.")
        note.patientLine()
        note.one(of: [
            "{title} {last} returns \(weeksAfterDischarge) weeks after discharge from {hospital} for follow-up of {diagnosis}. ",
            "{age}-year-old {noun} seen for follow-up of {diagnosis}, treated at {hospital}. ",
            "{patient} comes in for follow-up of {diagnosis}. ",
        ])
        let followUps = note.condition.followUps
        let chosen = note.include(atDetail: 1) ? Array(followUps.prefix(2)) : [note.random.pick(followUps)]
        note.line(chosen.joined(separator: " "))
        note.line("Vitals: BP {bp}, HR {hr}, weight {weight} kg.")
        note.line("Medications: {dischargeMeds}.")
        note.write("Plan: ")
        note.line(note.random.pick(note.condition.clinicPlans))
        note.lineOf(["Return in 3 months.", "Return in 6 weeks with labs.", "Next visit in 2 months."])
        if note.include(atDetail: 2, orChance: 0.4) {
            if note.fills["email"] != nil, note.random.chance(0.7) {
                note.line("Contact: {phone}, {email}.")
            } else {
                note.line("Contact: {phone}.")
            }
        }
        if note.include(atDetail: 2, orChance: 0.3) {
            note.line("Copy to Dr. {pcp}, {pcpClinic}.")
        }
        note.line("Dr. {specialist}")
    }
}
