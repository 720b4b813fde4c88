/// Writes one note about one patient: fills the templates' placeholders (identifiers are annotated,
/// pronouns and clinical values are not) and keeps the random choices of the note in order.
struct DemoNoteWriter {
    typealias Fill = AnnotatedTextBuilder.TemplateFill

    let patient: DemoPatient
    let roster: DemoRoster
    /// The date the note is written.
    let date: DemoDate
    /// How much optional material the note holds: 0 (terse) to 3 (everything).
    let detail: Int
    var random: DemoRandom
    private(set) var builder = AnnotatedTextBuilder()
    private(set) var fills: [String: Fill] = [:]
    /// Values that stay the same all through the note (the number of days of symptoms).
    private var fixedValues: [String: String] = [:]

    var condition: DemoCondition {
        DemoConditions.all[min(max(patient.condition, 0), DemoConditions.all.count - 1)]
    }

    init(patient: DemoPatient, roster: DemoRoster, date: DemoDate, detail: Int, random: DemoRandom) {
        self.patient = patient
        self.roster = roster
        self.date = date
        self.detail = detail
        self.random = random
        fixedValues = ["days": String(self.random.int(in: 2...6))]
        fills = makeFills()
    }

    // MARK: - Writing

    /// Writes `template` (placeholders filled) without a line break.
    mutating func write(_ template: String) {
        let phrase = DemoClinicalValues.fill(template, sex: patient.sex, fixed: fixedValues, random: &random)
        builder.append(template: phrase, fills)
    }

    /// Writes `template` and a line break.
    mutating func line(_ template: String) {
        write(template)
        builder.append("\n")
    }

    /// Writes one of `templates`, chosen at random, without a line break.
    mutating func one(of templates: [String]) {
        write(random.pick(templates))
    }

    /// Writes one of `templates` and a line break.
    mutating func lineOf(_ templates: [String]) {
        one(of: templates)
        builder.append("\n")
    }

    /// `true` when the note is at least at `level` of detail, or else (above the terse level 0) with
    /// probability `probability`. It always draws, so that the same seed makes the same other choices at
    /// every level of detail: a note written with less detail is a shorter version of the same note.
    mutating func include(atDetail level: Int, orChance probability: Double = 0) -> Bool {
        let drawn = random.chance(probability)
        return detail >= level || (detail > 0 && drawn)
    }

    /// The line every note opens with: the patient's name, record number and date of birth, always
    /// written the same way so that a model fine-tuned on the corpus learns them.
    mutating func patientLine() {
        line("Patient: {patient}, MRN {mrn}, DOB {dob}.")
    }

    /// The record written.
    var record: CorpusRecord {
        builder.record(subject: patient.subject)
    }

    // MARK: - Placeholders

    /// The placeholders every template may use.
    private mutating func makeFills() -> [String: Fill] {
        let city = DemoPlaces.cities[min(max(patient.city, 0), DemoPlaces.cities.count - 1)]
        let hospital = DemoPlaces.hospitals[min(max(patient.hospital, 0), DemoPlaces.hospitals.count - 1)]
        let hospitalCity = DemoPlaces.cities[min(max(hospital.city, 0), DemoPlaces.cities.count - 1)]
        let attending = doctor(patient.attending)
        let specialist = doctor(patient.specialist)
        let primaryCare = doctor(patient.primaryCare)
        let style = Self.noteDateStyle(&random)
        let history = patient.comorbidities.map { DemoMedicalHistory.comorbidities[$0] }
        let homeMedications = history.flatMap(\.medications).map(\.written)
        let treatment = condition.treatment.map(\.written)
        // After discharge: the drugs for the condition, then the home drugs not already among them.
        var drugNames = Set(condition.dischargeMedications.map(\.name))
        var dischargeMedications = condition.dischargeMedications.map(\.written)
        for medication in history.flatMap(\.medications) where drugNames.insert(medication.name).inserted {
            dischargeMedications.append(medication.written)
        }
        let age = patient.birthDate.age(on: date)
        let followUpDate = patient.dischargeDate.adding(days: 10 + random.int(in: 0...14))

        var fills: [String: Fill] = [
            "patient": .identifier(patient.fullName, .patient),
            "first": .identifier(patient.firstName, .patient),
            "last": .identifier(patient.lastName, .patient),
            "title": .text(patient.sex.title),
            "noun": .text(patient.sex.noun),
            "mrn": .identifier(patient.medicalRecordNumber, .medicalRecord),
            "dob": .identifier(patient.birthDateText, .date),
            "age": .identifier(String(age), .age),
            "a": .text(Self.article(beforeNumber: age)),
            "phone": .identifier(patient.phone, .phone),
            "ssn": .identifier(patient.socialSecurityNumber, .ssn),
            "street": .identifier(patient.street, .street),
            "city": .identifier(city.name, .city),
            "state": .text(city.state),
            "zip": .identifier(patient.zip, .zip),
            "hospital": .identifier(hospital.name, .hospital),
            "hospitalCity": .identifier(hospitalCity.name, .city),
            "attending": .identifier(doctorName(attending), .doctor),
            "specialist": .identifier(doctorName(specialist), .doctor),
            "specialistClinic": .identifier(specialist.facility, .hospital),
            "specialistPhone": .identifier(specialist.phone, .phone),
            "specialistEmail": .identifier(specialist.email, .email),
            "specialty": .text(specialist.specialty.rawValue),
            "pcp": .identifier(doctorName(primaryCare), .doctor),
            "pcpClinic": .identifier(primaryCare.facility, .hospital),
            "pcpPhone": .identifier(primaryCare.phone, .phone),
            "date": .identifier(date.written(style), .date),
            "admitted": .identifier(patient.admissionDate.written(style), .date),
            "discharged": .identifier(patient.dischargeDate.written(style), .date),
            "nextVisit": .identifier(followUpDate.written(style), .date),
            "encounter": .identifier("\(random.int(in: 1...9))\(random.digits(7))", .idNumber),
            "diagnosis": .text(condition.diagnosis),
            "Diagnosis": .text(condition.diagnosis.prefix(1).uppercased() + condition.diagnosis.dropFirst()),
            "complaint": .text(
                DemoClinicalValues.fill(
                    random.pick(condition.complaints), sex: patient.sex, fixed: fixedValues, random: &random)),
            "history": .text(history.isEmpty ? "no significant past medical history" : Self.list(history.map(\.name))),
            "homeMeds": .text(homeMedications.isEmpty ? "none" : homeMedications.joined(separator: "; ")),
            "treatment": .text(treatment.joined(separator: "; ")),
            "dischargeMeds": .text(dischargeMedications.isEmpty ? "none" : dischargeMedications.joined(separator: "; ")),
            "allergy": .text(patient.allergy),
            "social": .text(patient.socialHistory),
        ]
        if let email = patient.email {
            fills["email"] = .identifier(email, .email)
        }
        return fills
    }

    /// The doctor at `index` of the roster (the first one when out of range).
    private func doctor(_ index: Int) -> DemoDoctor {
        roster.doctors.indices.contains(index) ? roster.doctors[index] : roster.doctors[0]
    }

    /// A doctor as this note names them: full name or last name only.
    private mutating func doctorName(_ doctor: DemoDoctor) -> String {
        random.chance(0.6) ? doctor.fullName : doctor.lastName
    }

    /// The date style of one note: mostly 03/14/2021, else the other styles.
    private static func noteDateStyle(_ random: inout DemoRandom) -> DemoDate.Style {
        random.pick([.us, .us, .us, .us, .long, .long, .iso, .iso, .short, .dayFirst], or: .us)
    }

    /// "an" before a number read with a vowel sound (8, 11, 18, 80-89), "a" otherwise.
    static func article(beforeNumber number: Int) -> String {
        let digits = String(number)
        return digits.hasPrefix("8") || number == 11 || number == 18 ? "an" : "a"
    }

    /// "a, b and c"
    static func list(_ items: [String]) -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " and " + (items.last ?? "")
        }
    }
}
