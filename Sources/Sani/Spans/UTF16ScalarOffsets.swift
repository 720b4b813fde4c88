/// Converts UTF-16 offsets (what `NSRegularExpression` and `NSRange` count) into Unicode-scalar offsets
/// (what spans count) for one text.
///
/// The two differ only after scalars outside the Basic Multilingual Plane (emoji, rare CJK), which take two
/// UTF-16 units; the map keeps the UTF-16 offsets of those scalars and subtracts the number before an offset.
struct UTF16ScalarOffsets {
    /// UTF-16 offsets, increasing, of the scalars that take two UTF-16 units.
    private let surrogatePairStarts: [Int]

    init(_ text: String) {
        var starts: [Int] = []
        var utf16Offset = 0
        for scalar in text.unicodeScalars {
            if scalar.value > 0xFFFF {
                starts.append(utf16Offset)
                utf16Offset += 2
            } else {
                utf16Offset += 1
            }
        }
        surrogatePairStarts = starts
    }

    /// The scalar offset of a UTF-16 offset that falls on a scalar boundary.
    func scalarOffset(utf16 offset: Int) -> Int {
        if surrogatePairStarts.isEmpty { return offset }
        // Number of pairs starting before `offset` (binary search for the first start >= offset).
        var low = 0
        var high = surrogatePairStarts.count
        while low < high {
            let mid = (low + high) / 2
            if surrogatePairStarts[mid] < offset { low = mid + 1 } else { high = mid }
        }
        return offset - low
    }
}
