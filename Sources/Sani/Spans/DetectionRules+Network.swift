import Foundation

/// Network rules: URLs and IP addresses (v4, and v6 in full or `::`-compressed form).
enum NetworkRules {
    static let octet = #"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"#
    static let hex = #"[0-9A-Fa-f]{1,4}"#

    static let rules: [DetectionRule?] = [
        // http://..., https://..., ftp://..., www....
        DetectionRule(
            .url, "URL", #"\b(?:(?:https?|ftp)://|www\.)[^\s<>"'\[\]{}|\\^`]+"#, refine: trimURL),
        // A bare domain with a common top-level domain: mychart.example.org/patient/17.
        DetectionRule(
            .url, "URL",
            #"(?<![@\w.\-/])[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.(?:com|org|net|edu|gov|mil|int|io|info|health|care|us|uk|ca|de|fr)\b(?![\-@])(?:/[^\s<>"']*)?"#,
            isGeneric: true, refine: trimURL),
        // 192.168.10.21
        DetectionRule(
            .ipAddress, "IPADDR", #"(?<![\d.])(?:"# + octet + #"\.){3}"# + octet + #"(?!\.?\d)"#),
        // 2001:0db8:85a3:0000:0000:8a2e:0370:7334, fe80::1ff:fe23:4567:890a, ::1
        DetectionRule(
            .ipAddress, "IPADDR",
            #"(?<![\w:])(?:(?:"# + hex + #":){7}"# + hex + #"|(?:"# + hex + #":){1,7}:(?:"# + hex + #"(?::"# + hex
                + #"){0,6})?|::"# + hex + #"(?::"# + hex + #"){0,6})(?![\w:])"#),
    ]

    /// Drops the punctuation that ends a sentence after a URL, and a closing bracket that was not opened in it.
    static let trimURL: DetectionRule.Refinement = { candidate, context in
        var text = context.string(candidate.range)
        while let last = text.last {
            if ".,;:!?'\"".contains(last) {
                text.removeLast()
            } else if last == ")" && text.filter({ $0 == "(" }).count < text.filter({ $0 == ")" }).count {
                text.removeLast()
            } else {
                break
            }
        }
        candidate.range.length = text.utf16.count
        return text.contains(where: \.isLetter)
    }
}
