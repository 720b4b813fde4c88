/// The i2b2/n2c2 de-identification labels of the identifiers the demo corpus embeds.
public enum DemoLabel: String, Sendable, CaseIterable, Codable {
    /// A patient's full name or last name.
    case patient = "PATIENT"
    /// A doctor's full name or last name (without "Dr.").
    case doctor = "DOCTOR"
    /// A hospital or clinic.
    case hospital = "HOSPITAL"
    /// A city.
    case city = "CITY"
    /// A house number and street.
    case street = "STREET"
    /// A five-digit ZIP code.
    case zip = "ZIP"
    /// A date: birth, admission, discharge, visit, appointment.
    case date = "DATE"
    /// A medical record number.
    case medicalRecord = "MEDICALRECORD"
    /// A telephone number (patients' and facilities').
    case phone = "PHONE"
    /// An e-mail address (patients' and doctors').
    case email = "EMAIL"
    /// An age in years, at any age.
    case age = "AGE"
    /// A social security number.
    case ssn = "SSN"
    /// Another identifying number (an encounter id).
    case idNumber = "IDNUM"
}
