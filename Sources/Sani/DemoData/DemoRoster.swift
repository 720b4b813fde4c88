/// The people of one demo corpus: a staff of doctors and a list of patients, all drawn from one seed.
///
/// Doctors are drawn first and patients one after the other, so the first `n` patients are the same
/// whatever the total: a training corpus and a held-out corpus can share one roster without sharing a
/// patient. Patients get distinct names (while the name lists allow it), medical record numbers, phone
/// numbers and SSNs.
struct DemoRoster {
    private(set) var doctors: [DemoDoctor] = []
    private(set) var patients: [DemoPatient] = []

    private var random: DemoRandom
    private var usedNames = Set<String>()
    private var usedNumbers = Set<String>()

    /// Personal e-mail providers (reserved example domains).
    static let mailProviders = ["mailbox.example.com", "inbox.example.net", "webmail.example.org", "example.com"]

    init(seed: UInt64, patients count: Int) {
        random = DemoRandom(seed: seed)
        drawDoctors()
        for number in 0..<max(0, count) {
            patients.append(drawPatient(number: number))
        }
    }

    /// Indices of the doctors of `specialty` (primary care when there is none).
    func doctors(of specialty: DemoSpecialty) -> [Int] {
        let found = doctors.indices.filter { doctors[$0].specialty == specialty }
        return found.isEmpty ? doctors.indices.filter { doctors[$0].specialty == .primaryCare } : found
    }

    // MARK: - Doctors

    private mutating func drawDoctors() {
        // Hospitalists and surgeons at each hospital; specialists at each clinic.
        for hospital in DemoPlaces.hospitals {
            let phone = uniquePhone()
            for specialty in [DemoSpecialty.hospitalMedicine, .hospitalMedicine, .surgery] {
                doctors.append(drawDoctor(specialty: specialty, facility: hospital, phone: phone))
            }
        }
        for (clinic, specialty) in DemoPlaces.clinics {
            let phone = uniquePhone()
            for _ in 0..<2 {
                doctors.append(drawDoctor(specialty: specialty, facility: clinic, phone: phone))
            }
        }
    }

    private mutating func drawDoctor(
        specialty: DemoSpecialty, facility: DemoPlaces.Facility, phone: String
    ) -> DemoDoctor {
        let first = random.chance(0.5)
            ? random.pick(DemoNames.femaleFirst) : random.pick(DemoNames.maleFirst)
        let last = random.pick(DemoNames.last)
        let email = "\(DemoEmailName.ascii(first).prefix(1)).\(DemoEmailName.ascii(last))@\(facility.domain)"
        return DemoDoctor(
            firstName: first, lastName: last, specialty: specialty, facility: facility.name, city: facility.city,
            email: email, phone: phone)
    }

    // MARK: - Patients

    private mutating func drawPatient(number: Int) -> DemoPatient {
        let sex: DemoSex = random.chance(0.5) ? .female : .male
        var first = ""
        var last = ""
        for _ in 0..<40 {
            first = random.pick(sex == .female ? DemoNames.femaleFirst : DemoNames.maleFirst)
            last = random.pick(DemoNames.last)
            if !usedNames.contains("\(first) \(last)") { break }
        }
        usedNames.insert("\(first) \(last)")

        // Encounters between 2018 and 2024; a few patients over 89, most between 40 and 89.
        let admission = DemoDate(dayNumber: DemoDate(year: 2018, month: 1, day: 1).dayNumber + random.int(in: 0...2400))
        let age: Int
        if random.chance(0.08) {
            age = random.int(in: 90...101)
        } else if random.chance(0.2) {
            age = random.int(in: 19...44)
        } else {
            age = random.int(in: 45...89)
        }
        let birth = admission.adding(days: -(age * 365 + age / 4 + random.int(in: 1...360)))
        let styles: [DemoDate.Style] = [.us, .us, .us, .us, .us, .us, .iso, .long, .short, .dayFirst]
        let birthText = birth.written(random.pick(styles, or: .us))

        let hospital = random.index(below: DemoPlaces.hospitals.count)
        let city = random.chance(0.7) ? DemoPlaces.hospitals[hospital].city : random.index(below: DemoPlaces.cities.count)
        let zipPrefix = DemoPlaces.cities[city].zipPrefix
        let street = "\(random.int(in: 2...4980)) \(random.pick(DemoPlaces.streetNames)) \(random.pick(DemoPlaces.streetSuffixes))"

        let email: String?
        if random.chance(0.65) {
            let digits = random.chance(0.5) ? String(random.int(in: 10...99)) : ""
            let separator = random.pick([".", "_", ""])
            email = DemoEmailName.ascii(first) + separator + DemoEmailName.ascii(last) + digits + "@"
                + random.pick(Self.mailProviders)
        } else {
            email = nil
        }

        let condition = random.index(below: DemoConditions.all.count)
        var comorbidities: [Int] = []
        var names = Set<String>()
        for index in random.sample(Array(DemoMedicalHistory.comorbidities.indices), count: random.int(in: 1...3)) {
            let comorbidity = DemoMedicalHistory.comorbidities[index]
            if names.insert(comorbidity.name).inserted { comorbidities.append(index) }
        }

        let hospitalName = DemoPlaces.hospitals[hospital].name
        let hospitalists = doctors.indices.filter {
            doctors[$0].facility == hospitalName && doctors[$0].specialty == .hospitalMedicine
        }
        let specialty = DemoConditions.all[condition].specialty
        return DemoPatient(
            subject: Self.subject(number),
            firstName: first, lastName: last, sex: sex, birthDate: birth, birthDateText: birthText,
            medicalRecordNumber: uniqueNumber { "\($0.int(in: 1...9))\($0.digits(6))" },
            phone: uniquePhone(),
            email: email,
            socialSecurityNumber: uniqueNumber { "9\($0.digits(2))-\($0.int(in: 10...99))-\($0.digits(4))" },
            street: street, city: city, zip: zipPrefix + random.digits(2),
            hospital: hospital,
            attending: random.pick(hospitalists, or: 0),
            specialist: random.pick(doctors(of: specialty), or: 0),
            primaryCare: random.pick(doctors(of: .primaryCare), or: 0),
            condition: condition, comorbidities: comorbidities,
            allergy: random.pick(DemoMedicalHistory.allergies),
            socialHistory: random.pick(DemoMedicalHistory.socialHistory),
            admissionDate: admission, lengthOfStay: random.int(in: 3...8))
    }

    /// "patient-0017" (at least four digits, so that ids sort in order up to 10,000 patients).
    static func subject(_ number: Int) -> String {
        let digits = String(number + 1)
        return "patient-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// A 555 telephone number no one else in the roster has.
    private mutating func uniquePhone() -> String {
        uniqueNumber { "555-\($0.int(in: 2...9))\($0.digits(2))-\($0.digits(4))" }
    }

    /// A number drawn by `draw` that was not drawn before (after 100 collisions, the last draw).
    private mutating func uniqueNumber(_ draw: (inout DemoRandom) -> String) -> String {
        var number = draw(&random)
        var attempts = 0
        while usedNumbers.contains(number), attempts < 100 {
            number = draw(&random)
            attempts += 1
        }
        usedNumbers.insert(number)
        return number
    }
}
