import Foundation

/// Date stand-ins: a date in one of the common written forms, moved by a number of days and written back in
/// the same form (ISO `2024-03-07`, US `03/07/2024` or `3/7/24`, `March 7, 2024`, `Mar 7, 2024`,
/// `7 March 2024`).
enum SurrogateDate {
    static let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                         "october", "november", "december"]

    /// `text` moved by `days`, or nil when it is not a date in a form this reads.
    static func shift(_ text: String, byDays days: Int) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let numbers = t.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        let words = t.split(whereSeparator: { !$0.isLetter }).map { $0.lowercased() }
        // Numeric forms.
        if words.isEmpty, numbers.count == 3 {
            if t.contains("-"), numbers[0] >= 1000 {
                guard let moved = move(numbers[0], numbers[1], numbers[2], days) else { return nil }
                return "\(moved.y)-\(pad(moved.m, 2))-\(pad(moved.d, 2))"
            }
            if t.contains("/") || t.contains("-") || t.contains(".") {
                let separator = t.first(where: { "/-.".contains($0) }) ?? "/"
                let parts = t.split(separator: separator).map(String.init)
                guard parts.count == 3 else { return nil }
                let shortYear = parts[2].count == 2
                let year = shortYear ? 2000 + numbers[2] : numbers[2]
                guard let moved = move(year, numbers[0], numbers[1], days) else { return nil }
                let y = shortYear ? pad(moved.y % 100, 2) : String(moved.y)
                let m = parts[0].count == 2 ? pad(moved.m, 2) : String(moved.m)
                let d = parts[1].count == 2 ? pad(moved.d, 2) : String(moved.d)
                return "\(m)\(separator)\(d)\(separator)\(y)"
            }
            return nil
        }
        // Month-name forms.
        guard words.count == 1, numbers.count == 2, let word = words.first,
              let month = months.firstIndex(where: { $0 == word || (word.count >= 3 && $0.hasPrefix(word)) }) else { return nil }
        let abbreviated = word.count < months[month].count
        let capital = t.first(where: \.isLetter)?.isUppercase ?? true
        func name(_ m: Int) -> String {
            let full = months[m - 1]
            let n = abbreviated ? String(full.prefix(word.count)) : full
            return capital ? n.prefix(1).uppercased() + n.dropFirst() : n
        }
        let dayFirst = t.first?.isNumber == true
        let day = numbers[0], year = numbers[1]
        guard year >= 1000, let moved = move(year, month + 1, day, days) else { return nil }
        if dayFirst { return "\(moved.d) \(name(moved.m)) \(moved.y)" }
        let comma = t.contains(",") ? "," : ""
        let dot = t.contains(".") ? "." : ""
        return "\(name(moved.m))\(dot) \(moved.d)\(comma) \(moved.y)"
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// The civil date `days` after y-m-d, or nil when y-m-d is not a real date.
    static func move(_ y: Int, _ m: Int, _ d: Int, _ days: Int) -> (y: Int, m: Int, d: Int)? {
        guard (1...12).contains(m), d >= 1, d <= daysIn(m, y) else { return nil }
        return civil(dayNumber(y, m, d) + days)
    }

    static func daysIn(_ m: Int, _ y: Int) -> Int {
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    }

    /// Days since 1970-01-01.
    static func dayNumber(_ y: Int, _ m: Int, _ d: Int) -> Int { CivilDay.number(year: y, month: m, day: d) }

    static func civil(_ n: Int) -> (y: Int, m: Int, d: Int) {
        let c = CivilDay.date(n)
        return (c.year, c.month, c.day)
    }
}
