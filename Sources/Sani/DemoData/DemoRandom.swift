import SaniEngine

/// The random choices of the demo corpus generator, over a seeded `RandomSource`.
///
/// Every choice is computed here from raw 64-bit draws (not with the standard library's `random(in:)`,
/// whose algorithm may change between toolchains), so that a seed gives the same corpus on every machine.
struct DemoRandom {
    private var source: RandomSource

    init(seed: UInt64) {
        source = RandomSource(seed: seed)
    }

    /// A raw 64-bit draw.
    mutating func next() -> UInt64 {
        source.next()
    }

    /// An integer in `0..<bound` (0 when `bound` is 0 or less).
    mutating func index(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        return Int(source.next() % UInt64(bound))
    }

    /// An integer in `range`.
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + index(below: range.upperBound - range.lowerBound + 1)
    }

    /// `true` with probability `probability`.
    mutating func chance(_ probability: Double) -> Bool {
        Double(source.nextUniform()) < probability
    }

    /// A uniform value in `range`, rounded to `decimals` decimals, as text ("7.9").
    mutating func decimal(in range: ClosedRange<Double>, decimals: Int) -> String {
        let value = range.lowerBound + Double(source.nextUniform()) * (range.upperBound - range.lowerBound)
        return Self.format(value, decimals: decimals)
    }

    /// One element of a non-empty array (`fallback` when the array is empty).
    mutating func pick<Element>(_ elements: [Element], or fallback: Element) -> Element {
        elements.isEmpty ? fallback : elements[index(below: elements.count)]
    }

    /// One string of a list (the empty string when the list is empty).
    mutating func pick(_ strings: [String]) -> String {
        pick(strings, or: "")
    }

    /// Up to `count` distinct elements of `elements`, in a random order.
    mutating func sample<Element>(_ elements: [Element], count: Int) -> [Element] {
        var pool = elements
        var chosen: [Element] = []
        while chosen.count < count, !pool.isEmpty {
            chosen.append(pool.remove(at: index(below: pool.count)))
        }
        return chosen
    }

    /// The elements in a random order (Fisher–Yates).
    mutating func shuffled<Element>(_ elements: [Element]) -> [Element] {
        var result = elements
        var i = result.count - 1
        while i > 0 {
            result.swapAt(i, index(below: i + 1))
            i -= 1
        }
        return result
    }

    /// A string of `count` decimal digits.
    mutating func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(String(index(below: 10))) })
    }

    /// `value` with exactly `decimals` decimals, without Foundation's locale-dependent formatting.
    static func format(_ value: Double, decimals: Int) -> String {
        if decimals <= 0 { return String(Int(value.rounded())) }
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((abs(value) * Double(scale)).rounded())
        let whole = scaled / scale
        var fraction = String(scaled % scale)
        while fraction.count < decimals { fraction = "0" + fraction }
        return (value < 0 && scaled != 0 ? "-" : "") + "\(whole).\(fraction)"
    }
}
