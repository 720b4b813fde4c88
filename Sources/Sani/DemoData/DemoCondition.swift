/// The problem a demo patient is treated for, with the phrases the notes use about it.
///
/// Phrases may hold placeholders for pronouns (`{he}`, `{his}`, `{him}`, `{He}`, `{His}`) and for clinical
/// values (`{days}`, `{temp}`, `{wbc}`...), which `DemoClinicalValues` fills with plausible numbers.
struct DemoCondition: Sendable {
    /// The diagnosis as written in an assessment ("community-acquired pneumonia").
    let diagnosis: String
    /// The specialty that follows the patient after discharge.
    let specialty: DemoSpecialty
    /// Chief complaints ("cough and fever for {days} days").
    let complaints: [String]
    /// Sentences of the history of present illness.
    let presentations: [String]
    /// Examination and laboratory sentences.
    let findings: [String]
    /// Drugs started for it in hospital and continued at discharge.
    let treatment: [DemoMedication]
    /// Drugs taken at home after discharge for it (by mouth, with their durations).
    let dischargeMedications: [DemoMedication]
    /// Sentences of a hospital course.
    let courses: [String]
    /// Sentences of a plan.
    let plans: [String]
    /// Sentences of a follow-up visit's interval history.
    let followUps: [String]
    /// Sentences of a follow-up visit's plan.
    let clinicPlans: [String]
}
