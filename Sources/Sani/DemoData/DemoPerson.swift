import Foundation

/// A patient's sex as the notes write it (pronouns, "woman" / "man", "Ms." / "Mr.").
enum DemoSex: Sendable {
    case female, male

    var noun: String { self == .female ? "woman" : "man" }
    var title: String { self == .female ? "Ms." : "Mr." }
}

/// A fictitious patient: the identifiers every note about them repeats (name, MRN, date of birth, phone)
/// and the medical story the notes tell.
struct DemoPatient: Sendable {
    /// The stable subject id of the corpus ("patient-0017").
    let subject: String
    let firstName: String
    let lastName: String
    let sex: DemoSex
    let birthDate: DemoDate
    /// The date of birth as every note writes it (one style per patient).
    let birthDateText: String
    /// The medical record number, seven digits.
    let medicalRecordNumber: String
    /// "555-201-3388"
    let phone: String
    /// A personal e-mail address, for the patients who gave one.
    let email: String?
    /// A social security number in the never-issued 9xx range.
    let socialSecurityNumber: String
    /// "14 Maple Street"
    let street: String
    /// Index into `DemoPlaces.cities`.
    let city: Int
    let zip: String
    /// Index into `DemoPlaces.hospitals`.
    let hospital: Int
    /// Indices into the roster's doctors.
    let attending: Int
    let specialist: Int
    let primaryCare: Int
    /// Index into `DemoConditions.all`.
    let condition: Int
    /// Indices into `DemoMedicalHistory.comorbidities` (distinct names).
    let comorbidities: [Int]
    let allergy: String
    let socialHistory: String
    /// The day the patient is admitted to hospital; the other notes are dated around it.
    let admissionDate: DemoDate
    /// The length of the hospital stay, in days (at least 2).
    let lengthOfStay: Int

    var fullName: String { "\(firstName) \(lastName)" }
    var dischargeDate: DemoDate { admissionDate.adding(days: lengthOfStay) }
}

/// A fictitious doctor of the demo world, working at one facility.
struct DemoDoctor: Sendable {
    let firstName: String
    let lastName: String
    let specialty: DemoSpecialty
    /// The facility's name (a hospital or a clinic).
    let facility: String
    /// Index into `DemoPlaces.cities`.
    let city: Int
    let email: String
    /// The facility's telephone number.
    let phone: String

    var fullName: String { "\(firstName) \(lastName)" }
}

/// Turns a name into the ASCII letters of an e-mail address ("Søren" → "soren", "O'Brien" → "obrien").
enum DemoEmailName {
    static func ascii(_ name: String) -> String {
        let folded = name.lowercased()
            .replacingOccurrences(of: "ø", with: "o")
            .replacingOccurrences(of: "æ", with: "ae")
            .replacingOccurrences(of: "ß", with: "ss")
            .folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
        return String(folded.unicodeScalars.filter { ("a"..."z").contains($0) }.map(Character.init))
    }
}
