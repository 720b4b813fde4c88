/// The medical specialties of the demo world's doctors and clinics.
enum DemoSpecialty: String, CaseIterable, Sendable {
    case cardiology, endocrinology, pulmonology, nephrology, neurology, gastroenterology, orthopedics
    case infectiousDisease = "infectious disease"
    case primaryCare = "primary care"
    case hospitalMedicine = "hospital medicine"
    case surgery = "general surgery"
}
