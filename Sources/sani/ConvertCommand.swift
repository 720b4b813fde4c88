import ArgumentParser
import Foundation
import SaniEngine

/// `sani convert model.gguf --out DIR`: a llama GGUF file (quantized or not) as a Hugging Face folder.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Write a llama GGUF file as a Hugging Face folder (fp32 safetensors, config.json, tokenizer).")
    @Argument(help: "GGUF file.") var gguf: String
    @Option(help: "Output folder.") var out: String

    func run() throws {
        let url = URL(fileURLWithPath: gguf)
        try reportingEngineErrors {
            let file = try GGUFFile(url: url)
            let model = try LlamaModel.load(gguf: url)
            let tokenizer = try ByteLevelBPETokenizer.load(gguf: file)
            let folder = URL(fileURLWithPath: out)
            try model.save(to: folder)
            try tokenizer.save(to: folder)
            print("\(out): llama, \(model.config.layers) blocks, \(model.config.hiddenSize) wide, \(model.parameters.count) parameters, vocabulary \(tokenizer.vocabularySize)")
        }
    }
}

/// Turns the engine's errors into a one-line message and a failure exit code.
func reportingEngineErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let error as EngineError { throw ValidationError(error.description) }
}
