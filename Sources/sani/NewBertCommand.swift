import ArgumentParser
import Foundation
import Sani
import SaniEngine

/// `sani new-bert`: a randomly initialised BERT folder whose WordPiece vocabulary is made from a corpus, ready
/// for `sani train --from-scratch` (a masked model trained on a hospital's own notes, or a small test model).
struct NewBertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-bert",
        abstract: "Create a BERT folder (config, WordPiece vocabulary from a corpus, random weights).",
        discussion: """
            The vocabulary is lower-cased: BERT's special tokens, every character seen (alone and as a ## \
            continuation), then the words seen at least --min-count times, most frequent first. Rare words \
            (names, record numbers) are cut into pieces, as a general vocabulary cuts them.
            """)
    @Option(help: "Corpus the vocabulary is made from (JSONL or plain text).") var corpus: String
    @Option(help: "Output folder (created; must not hold a model already).") var out: String
    @Option(help: "Most words in the vocabulary (besides characters and special tokens).") var words = 3000
    @Option(help: "Fewest occurrences of a word to enter the vocabulary.") var minCount = 2
    @Option(help: "Transformer blocks.") var layers = 4
    @Option(help: "Hidden size.") var hidden = 128
    @Option(help: "Attention heads.") var heads = 4
    @Option(help: "Intermediate (MLP) size.") var intermediate = 512
    @Option(help: "Most positions.") var positions = 512
    @Option(help: "Seed of the initial weights.") var seed: UInt64 = 0

    func validate() throws {
        guard words >= 0, minCount >= 1 else { throw ValidationError("--words must be ≥ 0 and --min-count ≥ 1") }
        guard layers >= 1, hidden >= 1, heads >= 1, intermediate >= 1, positions >= 2 else {
            throw ValidationError("--layers, --hidden, --heads, --intermediate must be ≥ 1 and --positions ≥ 2")
        }
        guard hidden % heads == 0 else { throw ValidationError("--hidden (\(hidden)) must be a multiple of --heads (\(heads))") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: out)
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) {
            throw ValidationError("\(out) already holds a model (config.json); choose another folder")
        }
        let texts = try reportingErrors { try Corpus.load(url: URL(fileURLWithPath: corpus)) }.records.map(\.text)
        let vocabulary = WordPieceTokenizer.vocabulary(fromTexts: texts, maxWords: words, minimumCount: minCount)
        try reportingErrors {
            let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary)
            let config = BertConfig(vocabularySize: tokenizer.vocabularySize, hiddenSize: hidden, layers: layers,
                                    heads: heads, intermediateSize: intermediate, maxPositions: positions)
            let model = try BertModel(config: config)
            model.initializeRandomly(seed: seed)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try model.save(to: folder)
            try tokenizer.save(to: folder)
            print("\(out): BERT, \(layers) blocks, hidden \(hidden), \(model.parameters.count) parameters, "
                + "vocabulary \(tokenizer.vocabularySize) tokens from \(texts.count) records")
        }
    }
}
