/// The kinds of clinical notes the demo corpus holds.
enum DemoNoteKind: String, CaseIterable, Sendable {
    case admission
    case progress
    case discharge
    case followUp
    case referral
}
