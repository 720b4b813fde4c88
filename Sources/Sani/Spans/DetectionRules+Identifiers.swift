import Foundation

/// Identifier-number rules: SSN, medical record, health plan, account, licence, device numbers after their
/// keywords, other keyworded ids, and generic long digit runs (IDNUM).
enum IdentifierRules {
    /// An identifier after a keyword: starts and ends with a letter or digit, may hold `-` and `/`, and
    /// holds a digit (checked in the pattern, so that "Billing account: 0912345" still finds the number
    /// after "account" once "Billing account" fails).
    static let identifier = #"(?=[A-Z\-/]*\d)([A-Z0-9](?:[A-Z0-9\-/]*[A-Z0-9])?)"#
    /// What may stand between a keyword and its identifier: "number", "no.", "#", ":", "is".
    static let keywordTail = #"(?:\s*(?:number|num|no\.?|nbr|id|#))?\s*[:#=]?\s*(?:is\s+)?"#

    static let rules: [DetectionRule?] = [
        // 123-45-6789
        DetectionRule(.ssn, "SSN", #"(?<![\d\-])\d{3}-\d{2}-\d{4}(?![\d\-])"#),
        // SSN 123456789, social security number: 123 45 6789
        DetectionRule(
            .ssn, "SSN",
            #"\b(?:SSN|SS#|social\s+security(?:\s+(?:number|num|no\.?|#))?)\s*[:#]?\s*(\d{3}[\s\-]?\d{2}[\s\-]?\d{4})(?!\d)"#,
            group: 1),
        // MRN: 00123456, MR# 4471-22, Medical record number 884412, Med Rec #A12345, unit no. 123456
        DetectionRule(
            .medicalRecord, "MEDICALRECORD",
            #"(?:\bMRN|\bMR\s*#|\bMR\s*(?:no\.?|number|num)\b|\bmed(?:ical)?\.?\s*rec(?:ord)?s?\.?|\b(?:hospital|unit|chart)\s+(?:number|no\.?|#))"#
                + keywordTail + identifier,
            group: 1, refine: identifierWithDigits(3)),
        // Insurance / policy / member / subscriber / health plan / Medicare / Medicaid numbers.
        DetectionRule(
            .healthPlan, "HEALTHPLAN",
            #"\b(?:insurance|policy|member|subscriber|beneficiary|health\s*plan|medicare|medicaid|group|plan)"#
                + keywordTail + identifier,
            group: 1, refine: identifierWithDigits(4)),
        // Account numbers.
        DetectionRule(
            .account, "ACCOUNT", #"\b(?:account|acct|billing|invoice)\.?"# + keywordTail + identifier,
            group: 1, refine: identifierWithDigits(4)),
        // Licence numbers: driver's licence, medical licence, DEA number.
        DetectionRule(
            .license, "LICENSE", #"\b(?:licen[cs]e|lic\.|DEA|certificate)"# + keywordTail + identifier,
            group: 1, refine: identifierWithDigits(4)),
        // Device identifiers: serial numbers, S/N, implant / pacemaker ids.
        DetectionRule(
            .device, "DEVICE",
            #"(?:\bserial|\bS/N|\b(?:device|implant|pacemaker|pump)\s+(?:serial|id|identifier|sn))"# + keywordTail + identifier,
            group: 1, refine: identifierWithDigits(3)),
        // Other keyworded ids: "ID: A7731942", "patient id #88123", "NPI: 1234567893". A colon, # or = is required.
        DetectionRule(
            .idNumber, "IDNUM",
            #"\b(?:ID|identifier|NPI|UPIN|employee\s+(?:id|number))\s*(?:number|num|no\.?)?\s*[:#=]\s*"# + identifier,
            group: 1, refine: identifierWithDigits(4)),
        // Any other run of six digits or more: 4471223, 20210314 (not 1,234,567 or 123456.78).
        DetectionRule(
            .idNumber, "IDNUM", #"(?<![\w\-./,])\d{6,}(?![\w\-/]|[.,]\d)"#, isGeneric: true),
    ]

    /// Keeps an identifier that holds at least `minimumDigits` digits (so "MR no regurgitation" and
    /// "policy changes" are not identifiers).
    static func identifierWithDigits(_ minimumDigits: Int) -> DetectionRule.Refinement {
        return { candidate, context in
            context.string(candidate.range).filter(\.isNumber).count >= minimumDigits
        }
    }
}
