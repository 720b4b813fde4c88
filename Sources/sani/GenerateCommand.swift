import ArgumentParser
import Foundation
import SaniEngine

/// `sani generate`: continue a prompt with a model folder.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate",
                                                    abstract: "Continue a prompt with a Hugging Face model folder.")
    @Option(help: "Model folder (config.json, model.safetensors, tokenizer files).") var model: String
    @Option(help: "Prompt text.") var prompt: String
    @Option(help: "New tokens at most.") var maxTokens = 40
    @Option(help: "Sampling temperature (0: greedy).") var temperature: Float = 0
    @Option(help: "Top-k (0: off).") var topK = 0
    @Option(help: "Top-p (1: off).") var topP: Float = 1
    @Option(help: "Random seed for sampling.") var seed: UInt64 = 0
    @Option(help: "Weights the token-by-token steps read: float32 (the model's own) or bfloat16 (copies of half the size; faster where decoding waits on memory, logits within about 1 % of the largest).")
    var decodePrecision = "float32"

    func run() throws {
        let folder = URL(fileURLWithPath: model)
        let lm = try LanguageModelLoader.load(folder: folder)
        guard let decoder = lm.decoder else {
            throw ValidationError("\(lm.family) is a masked language model; it fills in masked tokens and does not continue prompts")
        }
        guard let precision = DecodePrecision(rawValue: decodePrecision) else {
            throw ValidationError("unknown decode precision \(decodePrecision): float32 or bfloat16")
        }
        decoder.decodePrecision = precision
        let tokenizer = try LanguageModelLoader.tokenizer(folder: folder)
        let ids = tokenizer.encode(prompt).map(Int32.init)
        let stops = Set([tokenizer.endOfTextID.map(Int32.init), lm.separatorTokenID].compactMap { $0 })
        let result = try Generator.generate(
            decoder, prompts: [ids], maxNewTokens: maxTokens,
            sampling: SamplingSettings(temperature: temperature, topK: topK, topP: topP, seed: seed),
            stopTokens: stops)
        print(prompt + tokenizer.decode(result[0].tokens.map(Int.init)))
    }
}
