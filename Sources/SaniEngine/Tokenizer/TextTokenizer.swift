/// One token of an encoded text together with the part of the text it came from.
///
/// `start` and `end` are offsets in Unicode scalars (Python code points) into the input string,
/// half-open: the token covers scalars `start..<end`. A byte-level token that holds only part of a
/// multi-byte scalar covers that whole scalar, so two neighbouring tokens may share a scalar.
public struct TokenSpan: Sendable, Equatable {
    /// The token's id in the vocabulary.
    public var id: Int
    /// The first scalar the token covers.
    public var start: Int
    /// One past the last scalar the token covers.
    public var end: Int

    public init(id: Int, start: Int, end: Int) {
        self.id = id
        self.start = start
        self.end = end
    }
}

/// A tokenizer that turns text into vocabulary ids and back, as one model family defines it.
///
/// Every tokenizer family of the engine (byte-level BPE, WordPiece...) conforms, so the method code
/// can map sensitive character spans to token positions without knowing the family.
public protocol TextTokenizer: Sendable {
    /// The number of ids the tokenizer can produce (the largest id plus one, added tokens included).
    var vocabularySize: Int { get }
    /// The ids of `text`, without any special token added around it.
    func encode(_ text: String) -> [Int]
    /// The ids of `text` with the scalar range each token came from.
    func encodeWithOffsets(_ text: String) -> [TokenSpan]
    /// The text that `ids` stand for; ids that are not in the vocabulary are skipped.
    func decode(_ ids: [Int]) -> String
    /// The id of a token given in its vocabulary spelling (e.g. `"Ġthe"` for GPT-2), if it exists.
    func tokenID(_ token: String) -> Int?
    /// The vocabulary spelling of an id, if the id exists.
    func token(_ id: Int) -> String?
    /// The id that marks the end of a text (e.g. `<|endoftext|>` for GPT-2), if the tokenizer has one.
    var endOfTextID: Int? { get }
}
