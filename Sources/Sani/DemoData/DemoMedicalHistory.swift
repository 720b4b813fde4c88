/// A drug with its dose, route and frequency as a note writes it ("metformin 1000 mg by mouth twice daily").
struct DemoMedication: Sendable, Hashable {
    let name: String
    let regimen: String

    /// "metformin 1000 mg by mouth twice daily"
    var written: String { "\(name) \(regimen)" }
}

/// A chronic condition of a patient's past medical history, with the drugs that treat it at home.
struct DemoComorbidity: Sendable {
    let name: String
    let medications: [DemoMedication]
}

/// Past medical history, allergies and social history of the demo patients.
enum DemoMedicalHistory {
    static let comorbidities: [DemoComorbidity] = [
        DemoComorbidity(name: "hypertension", medications: [DemoMedication(name: "lisinopril", regimen: "10 mg daily")]),
        DemoComorbidity(name: "hypertension", medications: [DemoMedication(name: "amlodipine", regimen: "5 mg daily")]),
        DemoComorbidity(name: "hyperlipidemia", medications: [DemoMedication(name: "atorvastatin", regimen: "40 mg nightly")]),
        DemoComorbidity(name: "type 2 diabetes mellitus", medications: [DemoMedication(name: "metformin", regimen: "1000 mg twice daily")]),
        DemoComorbidity(name: "hypothyroidism", medications: [DemoMedication(name: "levothyroxine", regimen: "75 mcg daily")]),
        DemoComorbidity(name: "gastroesophageal reflux disease", medications: [DemoMedication(name: "omeprazole", regimen: "20 mg daily")]),
        DemoComorbidity(name: "osteoarthritis of both knees", medications: [DemoMedication(name: "acetaminophen", regimen: "650 mg every 6 hours as needed")]),
        DemoComorbidity(name: "chronic kidney disease stage 3", medications: []),
        DemoComorbidity(name: "major depressive disorder", medications: [DemoMedication(name: "sertraline", regimen: "50 mg daily")]),
        DemoComorbidity(name: "asthma", medications: [DemoMedication(name: "albuterol inhaler", regimen: "2 puffs every 4 hours as needed")]),
        DemoComorbidity(name: "gout", medications: [DemoMedication(name: "allopurinol", regimen: "100 mg daily")]),
        DemoComorbidity(name: "benign prostatic hyperplasia", medications: [DemoMedication(name: "tamsulosin", regimen: "0.4 mg nightly")]),
        DemoComorbidity(name: "obesity", medications: []),
        DemoComorbidity(name: "iron deficiency anemia", medications: [DemoMedication(name: "ferrous sulfate", regimen: "325 mg daily")]),
        DemoComorbidity(name: "osteoporosis", medications: [DemoMedication(name: "alendronate", regimen: "70 mg weekly")]),
        DemoComorbidity(name: "migraine", medications: [DemoMedication(name: "sumatriptan", regimen: "50 mg as needed")]),
        DemoComorbidity(name: "coronary artery disease", medications: [DemoMedication(name: "aspirin", regimen: "81 mg daily")]),
        DemoComorbidity(name: "generalized anxiety disorder", medications: [DemoMedication(name: "escitalopram", regimen: "10 mg daily")]),
    ]

    static let allergies = [
        "no known drug allergies", "no known drug allergies", "no known drug allergies", "penicillin (rash)",
        "sulfa drugs (hives)", "codeine (nausea)", "iodinated contrast (itching)", "lisinopril (angioedema)",
    ]

    static let socialHistory = [
        "Never smoker, drinks alcohol socially.", "Former smoker, quit 10 years ago.",
        "Current smoker, 1 pack per day.", "Lives alone, independent in activities of daily living.",
        "Lives with spouse. Retired teacher.", "Works in construction. Denies alcohol or drug use.",
        "Lives with daughter, uses a walker at home.", "Drinks 2 to 3 beers a day, no illicit drugs.",
    ]
}
