/// Membership inference on whole records from per-token log-probabilities: the loss attack (a member has a
/// lower mean loss) and min-k % probability (Shi et al.: a member has fewer very unlikely tokens). Each score is
/// higher for what looks like a member; the AUC says how well it separates members from non-members.
public enum MembershipInference {
    /// Probability that a member's score exceeds a non-member's, computed exactly from ranks (Mann-Whitney U;
    /// ties count half). nil when either group is empty.
    public static func auc(members: [Double], nonMembers: [Double]) -> Double? {
        guard !members.isEmpty, !nonMembers.isEmpty else { return nil }
        let all = members.map { ($0, true) } + nonMembers.map { ($0, false) }
        let sorted = all.sorted { $0.0 < $1.0 }
        var memberRankSum = 0.0
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1].0 == sorted[i].0 { j += 1 }
            // Ranks i+1 ... j+1 share their mean.
            let rank = Double(i + j + 2) / 2
            for m in i...j where sorted[m].1 { memberRankSum += rank }
            i = j + 1
        }
        let n1 = Double(members.count), n2 = Double(nonMembers.count)
        return (memberRankSum - n1 * (n1 + 1) / 2) / (n1 * n2)
    }

    /// The negated mean per-token loss: the mean log-probability of the record's tokens.
    public static func lossScore(_ logProbabilities: [Float]) -> Double {
        guard !logProbabilities.isEmpty else { return 0 }
        return logProbabilities.reduce(0.0) { $0 + Double($1) } / Double(logProbabilities.count)
    }

    /// The mean log-probability of the `k` lowest-probability tokens (at least one token).
    public static func minKScore(_ logProbabilities: [Float], k: Double) -> Double {
        guard !logProbabilities.isEmpty else { return 0 }
        let count = min(logProbabilities.count, max(1, Int(Double(logProbabilities.count) * k)))
        let lowest = logProbabilities.sorted().prefix(count)
        return lowest.reduce(0.0) { $0 + Double($1) } / Double(count)
    }

    /// Both AUCs of the records that have predicted tokens; nil when either side has none.
    public static func figure(members: [[Float]], nonMembers: [[Float]], k: Double) -> MembershipFigure? {
        let m = members.filter { !$0.isEmpty }, n = nonMembers.filter { !$0.isEmpty }
        guard let lossAUC = auc(members: m.map(lossScore), nonMembers: n.map(lossScore)),
              let minKAUC = auc(members: m.map { minKScore($0, k: k) }, nonMembers: n.map { minKScore($0, k: k) })
        else { return nil }
        return MembershipFigure(lossAUC: lossAUC, minKAUC: minKAUC, k: k, members: m.count, nonMembers: n.count)
    }

    /// Membership of the identifiers alone: the AUC of the mean log-probability of a record's sensitive tokens,
    /// training notes against held-out notes (whose identifiers are other patients'). Records without a sensitive
    /// token are left out; nil when either side has none.
    public static func identifierFigure(members: [[Float]], nonMembers: [[Float]]) -> IdentifierMembershipFigure? {
        let m = members.filter { !$0.isEmpty }, n = nonMembers.filter { !$0.isEmpty }
        guard let lossAUC = auc(members: m.map(lossScore), nonMembers: n.map(lossScore)) else { return nil }
        return IdentifierMembershipFigure(lossAUC: lossAUC, members: m.count, nonMembers: n.count)
    }
}
