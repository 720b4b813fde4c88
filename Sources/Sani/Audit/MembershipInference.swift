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

    /// The standard error of `auc(members:nonMembers:)` by DeLong's method: the variance of each member's share
    /// of non-members it outscores over the members, plus the same for the non-members (ties count half). It
    /// says how far an AUC read from few records can be from the model's true one (about ±2 standard errors at
    /// 95 %). nil with fewer than two records on either side.
    public static func aucStandardError(members: [Double], nonMembers: [Double]) -> Double? {
        guard members.count >= 2, nonMembers.count >= 2 else { return nil }
        let sortedMembers = members.sorted(), sortedNonMembers = nonMembers.sorted()
        // Share of `others` below `x`, ties counting half, by two binary searches in the sorted array.
        func share(of x: Double, in others: [Double]) -> Double {
            func firstIndex(_ belongs: (Double) -> Bool) -> Int {
                var low = 0, high = others.count
                while low < high {
                    let mid = (low + high) / 2
                    if belongs(others[mid]) { low = mid + 1 } else { high = mid }
                }
                return low
            }
            let below = firstIndex { $0 < x }, notAbove = firstIndex { $0 <= x }
            return (Double(below) + Double(notAbove - below) / 2) / Double(others.count)
        }
        let memberShares = sortedMembers.map { share(of: $0, in: sortedNonMembers) }
        let nonMemberShares = sortedNonMembers.map { 1 - share(of: $0, in: sortedMembers) }
        func variance(_ values: [Double]) -> Double {
            let mean = values.reduce(0, +) / Double(values.count)
            return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        }
        return (variance(memberShares) / Double(members.count)
                + variance(nonMemberShares) / Double(nonMembers.count)).squareRoot()
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
        let loss = (m.map(lossScore), n.map(lossScore))
        let minK = (m.map { minKScore($0, k: k) }, n.map { minKScore($0, k: k) })
        guard let lossAUC = auc(members: loss.0, nonMembers: loss.1),
              let minKAUC = auc(members: minK.0, nonMembers: minK.1)
        else { return nil }
        var figure = MembershipFigure(lossAUC: lossAUC, minKAUC: minKAUC, k: k, members: m.count, nonMembers: n.count)
        figure.lossAUCStandardError = aucStandardError(members: loss.0, nonMembers: loss.1)
        figure.minKAUCStandardError = aucStandardError(members: minK.0, nonMembers: minK.1)
        return figure
    }

    /// Membership of the identifiers alone: the AUC of the mean log-probability of a record's sensitive tokens,
    /// training notes against held-out notes (whose identifiers are other patients'). Records without a sensitive
    /// token are left out; nil when either side has none.
    public static func identifierFigure(members: [[Float]], nonMembers: [[Float]]) -> IdentifierMembershipFigure? {
        let m = members.filter { !$0.isEmpty }, n = nonMembers.filter { !$0.isEmpty }
        let scores = (m.map(lossScore), n.map(lossScore))
        guard let lossAUC = auc(members: scores.0, nonMembers: scores.1) else { return nil }
        var figure = IdentifierMembershipFigure(lossAUC: lossAUC, members: m.count, nonMembers: n.count)
        figure.lossAUCStandardError = aucStandardError(members: scores.0, nonMembers: scores.1)
        return figure
    }

    /// The reference attack: the AUC of a record's mean log-probability under the audited model minus under a
    /// reference model that never saw the corpus (how much more familiar the record is than the reference finds
    /// it). Calibrated by construction: the reference audited against itself scores 0.5. Records without a
    /// predicted token are left out; nil when either side has none.
    public static func referenceAUC(members: [[Float]], nonMembers: [[Float]], referenceMembers: [[Float]],
                                    referenceNonMembers: [[Float]]) -> (auc: Double, standardError: Double?)? {
        func calibrated(_ own: [[Float]], _ reference: [[Float]]) -> [Double] {
            zip(own, reference).filter { !$0.0.isEmpty && !$0.1.isEmpty }.map { lossScore($0.0) - lossScore($0.1) }
        }
        let m = calibrated(members, referenceMembers), n = calibrated(nonMembers, referenceNonMembers)
        guard let value = auc(members: m, nonMembers: n) else { return nil }
        return (value, aucStandardError(members: m, nonMembers: n))
    }
}
