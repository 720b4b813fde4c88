/// Everything needed to build a `ByteLevelBPETokenizer`, as read from tokenizer files before it is
/// checked and assembled.
public struct ByteLevelBPEConfiguration: Sendable {
    /// Token spelling to id.
    public var vocabulary: [String: Int]
    /// Merge rules, highest priority first.
    public var merges: [BPEMergeRule]
    /// Tokens matched verbatim before pre-tokenization.
    public var addedTokens: [AddedToken]
    /// How text is cut into words.
    public var preTokenizer: PreTokenizer
    /// The token for bytes that have none of their own, if any.
    public var unknownToken: String?
    /// Whether a word found whole in the vocabulary skips merging.
    public var ignoreMerges: Bool
    /// The end-of-text token; nil picks `<|endoftext|>` when present.
    public var endOfTextToken: String?

    public init(
        vocabulary: [String: Int], merges: [BPEMergeRule], addedTokens: [AddedToken] = [],
        preTokenizer: PreTokenizer = .gpt2, unknownToken: String? = nil, ignoreMerges: Bool = false,
        endOfTextToken: String? = nil
    ) {
        self.vocabulary = vocabulary
        self.merges = merges
        self.addedTokens = addedTokens
        self.preTokenizer = preTokenizer
        self.unknownToken = unknownToken
        self.ignoreMerges = ignoreMerges
        self.endOfTextToken = endOfTextToken
    }

    /// The id that a new added token would get: one past every id in use.
    var nextFreeID: Int {
        max(vocabulary.values.max() ?? -1, addedTokens.map(\.id).max() ?? -1) + 1
    }

    /// Adds `token`, or updates the added token with the same content (its id is kept).
    mutating func addOrUpdate(_ token: AddedToken) {
        if let index = addedTokens.firstIndex(where: { $0.content == token.content }) {
            var updated = token
            updated.id = addedTokens[index].id
            addedTokens[index] = updated
        } else {
            addedTokens.append(token)
        }
    }

    /// Checks the configuration and builds the tokenizer.
    public func makeTokenizer() throws -> ByteLevelBPETokenizer {
        try ByteLevelBPETokenizer(
            vocabulary: vocabulary, merges: merges, addedTokens: addedTokens, preTokenizer: preTokenizer,
            unknownToken: unknownToken, ignoreMerges: ignoreMerges, endOfTextToken: endOfTextToken)
    }
}
