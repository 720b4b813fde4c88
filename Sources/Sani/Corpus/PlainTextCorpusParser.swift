import Foundation

/// Reads a plain-text corpus: records are blocks of lines separated by one or more blank lines
/// (lines of only spaces or tabs count as blank). Windows line ends are read as `\n`; each block loses its
/// trailing whitespace and keeps its inner line breaks.
struct PlainTextCorpusParser {
    func parse(_ text: String) -> [CorpusRecord] {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        var records: [CorpusRecord] = []
        var block: [Substring] = []
        func closeBlock() {
            guard !block.isEmpty else { return }
            var joined = block.joined(separator: "\n")
            while let last = joined.unicodeScalars.last, last.properties.isWhitespace {
                joined.unicodeScalars.removeLast()
            }
            if !joined.isEmpty { records.append(CorpusRecord(text: joined)) }
            block.removeAll(keepingCapacity: true)
        }
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) {
                closeBlock()
            } else {
                block.append(line)
            }
        }
        closeBlock()
        return records
    }
}
