import Foundation
import XCTest
@testable import SaniEngine

/// The BERT engine against PyTorch: masked-LM logits, loss on the masked positions, every gradient, AdamW.
final class BertReferenceTests: XCTestCase {
    var fixture: URL { ReferenceFixtures.root.appendingPathComponent("bert-tiny") }

    func batch() throws -> (tokens: [Int32], types: [Int32], targets: [Int32], weights: [Float], b: Int, t: Int) {
        let j = try ReferenceFixtures.json(fixture.appendingPathComponent("batch.json"))
        let ids = try ReferenceFixtures.ints(j["input_ids"])
        let labels = try ReferenceFixtures.ints(j["labels"]).flatMap { $0 }
        return (ids.flatMap { $0 }, try ReferenceFixtures.ints(j["token_type_ids"]).flatMap { $0 },
                labels.map { max(0, $0) }, labels.map { $0 < 0 ? 0 : 1 }, ids.count, ids[0].count)
    }

    func testLogitsLossAndEveryGradient() throws {
        let model = try BertModel.load(folder: fixture.appendingPathComponent("model"))
        let b = try batch()
        let forward = try SafetensorsFile(url: fixture.appendingPathComponent("forward.safetensors"))
        let logits = try model.forward(tokens: b.tokens, tokenTypes: b.types, batch: b.b, length: b.t).buffer.array
        assertClose(Array(logits.prefix(b.b * b.t * model.config.vocabularySize)), try forward.floats("logits"), "logits")
        let loss = try model.accumulateGradients(tokens: b.tokens, tokenTypes: b.types, targets: b.targets,
                                                 weights: b.weights, batch: b.b, length: b.t)
        assertClose([loss], try forward.floats("loss"), "masked-LM loss")
        let reference = try SafetensorsFile(url: fixture.appendingPathComponent("grads.safetensors"))
        let grads = try XCTUnwrap(model.parameters.gradients)
        for spec in model.parameters.specs {
            let name = reference.entry(spec.name) != nil ? spec.name : "cls.predictions.decoder.bias"
            if spec.name.hasSuffix("attention.self.key.bias") {
                // The key bias shifts every score of a query equally: its true gradient is 0 and both
                // implementations hold roundoff only.
                let ours = Array(UnsafeBufferPointer(start: grads.pointer + spec.offset, count: spec.count))
                XCTAssertLessThan(ours.map { abs($0) }.max() ?? 0, 1e-6, spec.name)
                continue
            }
            assertClose(Array(UnsafeBufferPointer(start: grads.pointer + spec.offset, count: spec.count)),
                        try reference.floats(name), "gradient of \(spec.name)")
        }
    }
}
