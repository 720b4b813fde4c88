/// A referral letter from the patient's primary care doctor to the specialist.
enum ReferralLetterTemplate {
    static let requests = [
        "I would appreciate your assessment and advice on further management.",
        "I would be grateful if you could see {him} at your earliest convenience.",
        "Please evaluate and advise on long-term treatment.",
    ]

    static func write(_ note: inout DemoNoteWriter) {
        note.line("{pcpClinic}")
        note.line("{date}")
        note.line("Dear Dr. {specialist},")
        note.patientLine()
        note.one(of: [
            "Thank you for seeing this {age}-year-old {noun} with {history}, recently treated at {hospital} for {diagnosis}. ",
            "I am referring {title} {last}, {a} {age}-year-old {noun} with {history}, after an admission to {hospital} for {diagnosis}. ",
            "Please see {patient}, {age}, who was treated for {diagnosis} at {hospital}. ",
        ])
        note.line(note.random.pick(note.condition.followUps))
        if note.include(atDetail: 1) { note.line("Current medications: {dischargeMeds}.") }
        if note.include(atDetail: 2, orChance: 0.4) { note.line("Allergies: {allergy}.") }
        if note.fills["email"] != nil, note.random.chance(0.5) {
            note.line("{He} lives at {street}, {city}, {state} {zip}, and can be reached at {phone} or {email}.")
        } else {
            note.line("{He} lives at {street}, {city}, {state} {zip}, phone {phone}.")
        }
        if note.include(atDetail: 2, orChance: 0.2) { note.line("SSN {ssn}.") }
        note.line(note.random.pick(requests))
        note.line("Sincerely,")
        note.lineOf(["Dr. {pcp}", "Dr. {pcp}, {pcpClinic}, tel. {pcpPhone}"])
    }
}
