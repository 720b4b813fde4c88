/// A token matched verbatim in the input before pre-tokenization (Hugging Face's "added tokens"),
/// such as `<|endoftext|>`.
public struct AddedToken: Sendable, Equatable, Hashable {
    /// The exact text of the token.
    public var content: String
    /// The token's id.
    public var id: Int
    /// Whether the token is a special token (control token such as end-of-text) rather than text.
    public var special: Bool
    /// Whether the token only matches when not glued to a letter or digit on either side.
    public var singleWord: Bool
    /// Whether whitespace right before the token is absorbed into it.
    public var lstrip: Bool
    /// Whether whitespace right after the token is absorbed into it.
    public var rstrip: Bool
    /// Whether the token is matched after normalization (matched in a second pass, after the
    /// tokens that are not normalized).
    public var normalized: Bool

    public init(
        content: String, id: Int, special: Bool, singleWord: Bool = false,
        lstrip: Bool = false, rstrip: Bool = false, normalized: Bool? = nil
    ) {
        self.content = content
        self.id = id
        self.special = special
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized ?? !special
    }
}
