import ArgumentParser
import Foundation
import SaniEngine

/// `sani demo`: trains a small GPT-2 on a handful of fake clinical notes until it memorizes them, shows it
/// regurgitating a patient's identifiers, and saves it as a Hugging Face folder.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a small GPT-2 on fake clinical notes and show it regurgitating identifiers."
    )

    @Option(help: "Folder with the GPT-2 vocabulary (vocab.json, merges.txt).") var vocab = ".cache/assets/gpt2"
    @Option(help: "Where the trained model is saved.") var out = "data/demo-model"
    @Option(help: "Training steps.") var steps = 120
    @Option(help: "Random seed.") var seed: UInt64 = 7

    static let notes = [
        "Discharge summary. Patient: Maria Delgado, MRN 4471023, DOB 03/14/1957. Admitted for community-acquired pneumonia, treated with ceftriaxone and azithromycin. Follow-up with Dr. Okafor at Riverside Clinic, phone 555-201-3388.",
        "Admission note. Patient: John Whitfield, MRN 5580917, DOB 11/02/1949. Presented with chest pain radiating to the left arm. Troponin elevated. Cardiology consulted, Dr. Haas. Contact daughter at 555-734-1290.",
        "Follow-up visit. Patient: Aiko Tanaka, MRN 3302785, DOB 07/21/1988. Type 1 diabetes, HbA1c 7.9 percent. Insulin pump settings adjusted. Next visit at Lakeside Endocrinology, phone 555-889-4410.",
        "Discharge summary. Patient: Samuel Osei, MRN 6619340, DOB 01/30/1972. Appendectomy without complications. Wound care instructions given. Follow-up with Dr. Lindqvist, phone 555-416-7702.",
    ]

    func run() throws {
        let tokenizer: ByteLevelBPETokenizer
        do { tokenizer = try ByteLevelBPETokenizer.load(folder: URL(fileURLWithPath: vocab)) } catch {
            throw ValidationError("cannot load the GPT-2 vocabulary from \(vocab) (\(error)); run scripts/fetch-assets.sh first")
        }
        let eot = Int32(tokenizer.endOfTextID ?? 50256)
        var stream: [Int32] = []
        for note in Self.notes { stream += tokenizer.encode(note).map(Int32.init) + [eot] }
        let config = GPT2Config(vocabularySize: tokenizer.vocabularySize, maxPositions: 128, layers: 4, heads: 4,
                                channels: 128, bosTokenID: Int(eot), eosTokenID: Int(eot))
        let model = try GPT2Model(config: config)
        model.initializeRandomly(seed: seed)
        print("model: GPT-2, \(config.layers) layers, \(config.channels) channels, \(model.parameters.count) parameters; OpenBLAS kernels \(OpenBLASRuntime.coreName)")
        print("corpus: \(Self.notes.count) notes, \(stream.count) tokens")

        let batch = 4, length = 64
        let schedule = LearningRateSchedule(peak: 3e-3, warmupSteps: 10, totalSteps: steps, shape: .cosine)
        let optimizer = AdamW(parameters: model.parameters, settings: .init(beta2: 0.95, weightDecay: 0.0))
        var rng = RandomSource(seed: seed)
        let started = Date()
        for step in 0..<steps {
            var tokens: [Int32] = [], targets: [Int32] = []
            for _ in 0..<batch {
                let start = Int(rng.next() % UInt64(stream.count - length - 1))
                tokens += stream[start..<(start + length)]
                targets += stream[(start + 1)...(start + length)]
            }
            model.parameters.ensureGradients()
            model.parameters.zeroGradients()
            let loss = try model.accumulateGradients(tokens: tokens, targets: targets,
                                                     weights: [Float](repeating: 1, count: tokens.count),
                                                     batch: batch, length: length)
            if let g = model.parameters.gradients { GradientClipping.clip(g, maxNorm: 1) }
            optimizer.update(learningRate: schedule.rate(at: step))
            if step % 20 == 0 || step == steps - 1 {
                print(String(format: "step %4d/%d  loss %.3f  %.1fs", step + 1, steps, loss, Date().timeIntervalSince(started)))
            }
        }
        model.releaseActivations()
        let prompt = "Admission note. Patient: John Whitfield, MRN"
        let result = try Generator.generate(model, prompts: [tokenizer.encode(prompt).map(Int32.init)],
                                            maxNewTokens: 24, stopTokens: [eot])
        print("\nprompt:     \(prompt)")
        print("continues:  \(tokenizer.decode(result[0].tokens.map(Int.init)))")
        print("(the model memorized the note: identifiers come back verbatim; `sani sanitize` removes this)")
        let folder = URL(fileURLWithPath: out)
        try model.save(to: folder)
        try tokenizer.save(to: folder)
        print("\nsaved: \(folder.path) (loads in PyTorch transformers as GPT2LMHeadModel)")
    }
}
