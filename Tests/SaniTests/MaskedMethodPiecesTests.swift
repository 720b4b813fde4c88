import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The masked-model pieces of the method: framing, 80/10/10 masking that never targets sensitive tokens, and the
/// masked audit checked against one forward pass per question.
final class MaskedMethodPiecesTests: XCTestCase {
    struct Setup {
        let model: BertModel
        let tokenizer: WordPieceTokenizer
        let scheme: TrainingScheme
        let corpus: TokenizedCorpus
    }

    func setup() throws -> Setup {
        let dir = try MethodTestSupport.temporaryFolder("sani-masked")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("notes.jsonl")
        try MethodTestSupport.smallCorpus(at: url)
        let corpus = try Corpus.load(url: url)
        let tokenizer = try WordPieceTokenizer(vocabulary: BertTestSupport.vocabulary(for: corpus.records.map(\.text), words: 20))
        let model = try BertModel(config: BertConfig(vocabularySize: tokenizer.vocabularySize, hiddenSize: 32, layers: 2,
                                                     heads: 4, intermediateSize: 64, maxPositions: 64))
        model.initializeRandomly(seed: 4)
        let scheme = try TrainingScheme(model: model, tokenizer: tokenizer)
        let tokenized = try TokenizedCorpus(corpus: corpus, tokenizer: tokenizer, scheme: scheme,
                                            vocabularySize: model.vocabularySize)
        return Setup(model: model, tokenizer: tokenizer, scheme: scheme, corpus: tokenized)
    }

    func testRecordsAreFramedByClsAndSepWithSpansShifted() throws {
        let s = try setup()
        let cls = Int32(try XCTUnwrap(s.tokenizer.clsID)), sep = Int32(try XCTUnwrap(s.tokenizer.sepID))
        XCTAssertEqual(s.scheme.objective, .masked)
        XCTAssertEqual(s.scheme.prefix, [cls])
        XCTAssertEqual(s.scheme.suffix, [sep])
        for record in s.corpus.records {
            XCTAssertEqual(record.ids.first, cls)
            XCTAssertEqual(record.ids.last, sep)
            XCTAssertEqual(record.labels.count, record.ids.count)
            XCTAssertNil(record.labels.first ?? "x")
            XCTAssertNil(record.labels.last ?? "x")
            for span in record.spans {
                XCTAssertTrue(span.range.allSatisfy { record.labels[$0] == span.label })
            }
        }
        let name = s.corpus.records[0].spans[0]
        XCTAssertEqual(s.tokenizer.decode(s.corpus.records[0].ids[name.range].map(Int.init)), "ana ruiz")
    }

    func testMaskingNeverTargetsSensitiveOrSpecialTokensAndFollows801010() throws {
        let s = try setup()
        let windows = TrainingWindows(corpus: s.corpus, length: 16, scheme: s.scheme)
        let masking = try XCTUnwrap(windows.masking)
        XCTAssertGreaterThan(windows.count, 4)
        var eligible = 0, targets = 0, masked = 0, kept = 0, replaced = 0
        for seed in 0..<200 {
            let b = windows.batch(Array(0..<windows.count), maskSeed: UInt64(seed))
            XCTAssertEqual(b.tokens.count, windows.count * 16)
            for i in b.tokens.indices {
                let original = b.targets[i]
                let isSpecial = masking.special.contains(original)
                if b.weights[i] > 0 {
                    XCTAssertFalse(b.sensitive[i], "a sensitive token is never a target")
                    XCTAssertFalse(isSpecial, "[CLS], [SEP] and [PAD] are never targets")
                    targets += 1
                    if b.tokens[i] == masking.maskID { masked += 1 } else if b.tokens[i] == original { kept += 1 } else {
                        replaced += 1
                        XCTAssertFalse(masking.special.contains(b.tokens[i]))
                    }
                } else {
                    XCTAssertEqual(b.tokens[i], original, "only targets are changed in the input")
                }
                if !b.sensitive[i] && !isSpecial { eligible += 1 }
            }
        }
        let rate = Double(targets) / Double(eligible)
        XCTAssertEqual(rate, 0.15, accuracy: 0.01)
        XCTAssertEqual(Double(masked) / Double(targets), 0.8, accuracy: 0.02)
        XCTAssertEqual(Double(replaced) / Double(targets), 0.1, accuracy: 0.02)
        XCTAssertEqual(Double(kept) / Double(targets), 0.1, accuracy: 0.02)
        // Reproducible per seed, different across seeds.
        XCTAssertEqual(windows.batch([1, 2], maskSeed: 7), windows.batch([1, 2], maskSeed: 7))
        XCTAssertNotEqual(windows.batch([1, 2], maskSeed: 7).tokens, windows.batch([1, 2], maskSeed: 8).tokens)
    }

    func testGradientScoringMasksEverySensitiveTokenAndNothingElse() throws {
        let s = try setup()
        let windows = TrainingWindows(corpus: s.corpus, length: 16, scheme: s.scheme)
        let b = windows.batch(Array(0..<windows.count), sensitiveOnly: true)
        XCTAssertTrue(b.sensitive.contains(true))
        for i in b.tokens.indices {
            XCTAssertEqual(b.weights[i] > 0, b.sensitive[i])
            XCTAssertEqual(b.tokens[i] == windows.masking?.maskID, b.sensitive[i])
        }
    }

    func testMaskedAuditEqualsOneForwardPassPerQuestion() throws {
        let s = try setup()
        var settings = AuditSettings()
        settings.maskedWindow = 64
        let report = try Auditor(model: s.model, tokenizer: s.tokenizer, settings: settings)
            .audit(stage: "t", memorized: s.corpus, heldOut: nil)
        let mask = try XCTUnwrap(s.scheme.masking?.maskID)
        var tokens = RateFigure(), spans = RateFigure()
        for record in s.corpus.records {
            let n = record.ids.count
            func predict(masking positions: [Int]) throws -> [Int32] {
                var input = record.ids
                for p in positions { input[p] = mask }
                let logits = try s.model.forward(tokens: input, batch: 1, length: n)
                return positions.map { Int32(logits.argmax($0)) }
            }
            for (t, label) in record.labels.enumerated() where label != nil {
                tokens.add(try predict(masking: [t]) == [record.ids[t]])
            }
            for span in record.spans {
                spans.add(try predict(masking: Array(span.range)) == Array(record.ids[span.range]))
            }
        }
        XCTAssertEqual(report.tokenRegurgitation, tokens)
        XCTAssertEqual(report.spanExtraction, spans)
        XCTAssertEqual(spans.total, 12)
        // Utility: every ordinary non-sensitive token is predicted once.
        let ordinary = s.corpus.records.reduce(0) { sum, r in
            sum + zip(r.ids, r.labels).filter { $0.1 == nil && !(s.scheme.masking?.special.contains($0.0) ?? true) }.count
        }
        XCTAssertEqual(report.utility.positions, ordinary)
        XCTAssertEqual(report.utility.split, "corpus")
        XCTAssertTrue(report.utility.perplexity.isFinite)
    }

    func testACausalTokenizerIsRefusedForAMaskedModel() throws {
        let s = try setup()
        let bpe = try ByteLevelBPETokenizer.load(folder: MethodTestSupport.tinyTokenizerFolder)
        XCTAssertThrowsError(try TrainingScheme(model: s.model, tokenizer: bpe)) { error in
            XCTAssertTrue("\(error)".contains("WordPiece"), "\(error)")
        }
    }
}
