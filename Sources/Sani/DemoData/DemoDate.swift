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
        (year, month, day) = CivilDay.date(dayNumber)
    }

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days since 1970-01-01.
    var dayNumber: Int { CivilDay.number(year: year, month: month, day: day) }

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
