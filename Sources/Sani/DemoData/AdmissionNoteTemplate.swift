/// An admission history and physical: why the patient came, their history, examination, plan.
enum AdmissionNoteTemplate {
    static func write(_ note: inout DemoNoteWriter) {
        note.lineOf(["ADMISSION NOTE", "Admission History and Physical", "H&P - Admission"])
        note.patientLine()
        note.lineOf([
            "Admitted {date} to {hospital}.",
            "Date of admission: {date}. {hospital}, {hospitalCity}.",
            "Admission date {date}, {hospital}.",
        ])
        if note.include(atDetail: 2, orChance: 0.25) { note.line("Encounter ID: {encounter}") }
        note.line("Chief complaint: {complaint}.")
        note.write("HPI: ")
        note.one(of: [
            "{patient} is {a} {age}-year-old {noun} with a history of {history} who presents with {complaint}.",
            "{age}-year-old {noun} with {history}, presenting with {complaint}.",
            "{title} {last} is {a} {age}-year-old {noun} with {history} admitted for {complaint}.",
        ])
        if note.include(atDetail: 1, orChance: 0.5) {
            note.write(" " + note.random.pick(note.condition.presentations))
        }
        note.line("")
        if note.include(atDetail: 3) { note.line("Past medical history: {history}.") }
        note.line("Medications: {homeMeds}.")
        if note.include(atDetail: 1, orChance: 0.5) { note.line("Allergies: {allergy}.") }
        if note.include(atDetail: 2, orChance: 0.15) { note.line("Social history: {social}") }
        if note.include(atDetail: 2, orChance: 0.3) {
            note.lineOf([
                "Address: {street}, {city}, {state} {zip}. Phone: {phone}.",
                "Lives at {street}, {city}, {state} {zip}; home phone {phone}.",
            ])
        }
        if note.include(atDetail: 3, orChance: 0.15) { note.line("SSN {ssn} on file for insurance.") }
        note.line("Exam and labs: " + note.random.pick(note.condition.findings))
        note.write("Assessment and plan: ")
        note.one(of: [
            "{age}-year-old {noun} admitted with {diagnosis}. ",
            "Admit to medicine for {diagnosis}. ",
            "Working diagnosis: {diagnosis}. ",
        ])
        note.line(note.random.pick(note.condition.plans))
        if note.include(atDetail: 2, orChance: 0.3) { note.line("Start {treatment}.") }
        if note.include(atDetail: 2, orChance: 0.15) {
            note.line("Emergency contact: {phone}. Code status: full code.")
        }
        note.lineOf(["Attending: Dr. {attending}", "Dr. {attending}", "Electronically signed by Dr. {attending}, {date}"])
    }
}
