/// A discharge summary: stay, diagnosis, hospital course, medications, follow-up appointment.
enum DischargeSummaryTemplate {
    static func write(_ note: inout DemoNoteWriter) {
        note.lineOf(["DISCHARGE SUMMARY", "Discharge Summary", "HOSPITAL DISCHARGE SUMMARY"])
        note.patientLine()
        note.lineOf([
            "Admission date: {admitted}. Discharge date: {discharged}. {hospital}.",
            "Admitted {admitted}, discharged {discharged} from {hospital}, {hospitalCity}.",
        ])
        if note.include(atDetail: 1, orChance: 0.5) { note.line("Attending: Dr. {attending}.") }
        if note.include(atDetail: 2, orChance: 0.25) { note.line("Encounter ID: {encounter}") }
        note.line("Discharge diagnosis: {diagnosis}.")
        if note.include(atDetail: 2, orChance: 0.4) { note.line("Secondary diagnoses: {history}.") }
        note.write("Hospital course: ")
        note.one(of: [
            "{age}-year-old {noun} admitted with {complaint}. ",
            "{title} {last} presented with {complaint}. ",
            "{patient} was admitted with {complaint}. ",
        ])
        let courses = note.condition.courses
        let chosen = note.include(atDetail: 1) ? Array(courses.prefix(2)) : [note.random.pick(courses)]
        note.line(chosen.joined(separator: " "))
        note.line("Discharge medications: {dischargeMeds}.")
        note.lineOf([
            "Follow-up: Dr. {specialist} at {specialistClinic} on {nextVisit}, phone {specialistPhone}.",
            "Follow up with Dr. {specialist}, {specialistClinic}, on {nextVisit}. Clinic phone {specialistPhone}.",
            "Appointment with Dr. {specialist} ({specialty}) on {nextVisit}; call {specialistPhone} to reschedule.",
        ])
        if note.include(atDetail: 2, orChance: 0.4) {
            if note.fills["email"] != nil, note.random.chance(0.5) {
                note.line("Patient contact: {phone}, {email}.")
            } else {
                note.lineOf(["Patient contact: {phone}.", "Patient can be reached at {phone}."])
            }
        }
        note.lineOf([
            "Condition at discharge: stable. Discharged home.",
            "Condition at discharge: good. Discharged home with family.",
            "Discharged to home with visiting nurse services.",
        ])
    }
}
