import Foundation

extension ByteLevelBPETokenizer {
    /// The byte-level BPE tokenizer a GGUF file carries in its `tokenizer.ggml.*` metadata (model `gpt2`):
    /// tokens by id, merges by priority, control and user-defined tokens as added tokens. The pre-tokenizer
    /// follows `tokenizer.ggml.pre` (`smollm` splits digits one by one before the GPT-2 pattern).
    public static func load(gguf: GGUFFile) throws -> ByteLevelBPETokenizer {
        let m = gguf.metadata
        guard m["tokenizer.ggml.model"]?.string == "gpt2" else {
            throw EngineError.tokenizer("the GGUF tokenizer model is \(m["tokenizer.ggml.model"]?.string ?? "missing"); only byte-level BPE (gpt2) is supported")
        }
        guard let tokens = m["tokenizer.ggml.tokens"]?.strings else {
            throw EngineError.tokenizer("the GGUF file has no tokenizer.ggml.tokens")
        }
        let merges = (m["tokenizer.ggml.merges"]?.strings ?? []).compactMap { line -> BPEMergeRule? in
            guard let space = line.firstIndex(of: " ") else { return nil }
            return BPEMergeRule(String(line[..<space]), String(line[line.index(after: space)...]))
        }
        let types = m["tokenizer.ggml.token_type"]?.ints ?? []
        var vocabulary: [String: Int] = [:]
        var added: [AddedToken] = []
        for (id, token) in tokens.enumerated() {
            let type = id < types.count ? types[id] : 1
            if type == 3 || type == 4 {
                added.append(AddedToken(content: token, id: id, special: type == 3))
            }
            if vocabulary[token] == nil { vocabulary[token] = id }
        }
        let pre: PreTokenizer
        switch m["tokenizer.ggml.pre"]?.string ?? "gpt2" {
        case "smollm": pre = PreTokenizer(digits: .individual)
        case "gpt2", "default": pre = .gpt2
        case let other:
            throw EngineError.tokenizer("the GGUF pre-tokenizer \(other) is not supported (gpt2, smollm)")
        }
        let eos = m["tokenizer.ggml.eos_token_id"]?.int.flatMap { $0 < tokens.count ? tokens[$0] : nil }
        return try ByteLevelBPETokenizer(vocabulary: vocabulary, merges: merges, addedTokens: added,
                                         preTokenizer: pre, endOfTextToken: eos)
    }
}
