/// A calendar date of the demo corpus (proleptic Gregorian), with the ways clinical notes write it.
struct DemoDate: Sendable, Hashable, Comparable {
    var year: Int
    var month: Int
    var day: Int

    /// The ways a date is written in the notes; all of them are found by the built-in date detector.
    enum Style: CaseIterable {
        /// 03/14/2021
        case us
        /// 2021-03-14
        case iso
        /// March 14, 2021
        case long
        /// Mar 14, 2021
        case short
        /// 14 March 2021
        case dayFirst
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]
    static let monthAbbreviations = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// The date `dayNumber` days after 1970-01-01 (negative before).
    init(dayNumber: Int) {
        // Howard Hinnant's civil_from_days.
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` days later.
    func adding(days: Int) -> DemoDate {
        DemoDate(dayNumber: dayNumber + days)
    }

    /// Whole years from `self` (a birth date) to `date`.
    func age(on date: DemoDate) -> Int {
        var years = date.year - year
        if (date.month, date.day) < (month, day) { years -= 1 }
        return years
    }

    /// The date written in `style`.
    func written(_ style: Style) -> String {
        let monthIndex = min(max(month - 1, 0), 11)
        switch style {
        case .us: return "\(Self.twoDigits(month))/\(Self.twoDigits(day))/\(year)"
        case .iso: return "\(year)-\(Self.twoDigits(month))-\(Self.twoDigits(day))"
        case .long: return "\(Self.monthNames[monthIndex]) \(day), \(year)"
        case .short: return "\(Self.monthAbbreviations[monthIndex]) \(day), \(year)"
        case .dayFirst: return "\(day) \(Self.monthNames[monthIndex]) \(year)"
        }
    }

    static func < (lhs: DemoDate, rhs: DemoDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
