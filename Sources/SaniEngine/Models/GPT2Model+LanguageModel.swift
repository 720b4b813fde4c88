import Foundation

extension GPT2Model: LanguageModel {
    public var family: String { "gpt2" }
    public var objective: LanguageModelObjective { .causal }
    public var blockCount: Int { config.layers }
    public var separatorTokenID: Int32? { config.eosTokenID.map(Int32.init) }

    /// Neuron `i` of block `l`: column `i` of `c_fc.weight` ([C, 4C]), element `i` of `c_fc.bias`, row `i` of
    /// `mlp.c_proj.weight` ([4C, C]). Initialised as GPT-2 does: std 0.02, residual projection 0.02/√(2·layers).
    public func mlpNeurons(block: Int) -> MLPNeuronLayout {
        let p = "\(GPT2Parameters.prefix)h.\(block).mlp."
        return MLPNeuronLayout(neurons: config.innerChannels, tensors: [
            NeuronTensor(name: p + "c_fc.weight", axis: 1, initStd: 0.02),
            NeuronTensor(name: p + "c_fc.bias", axis: 0, initStd: 0),
            NeuronTensor(name: p + "c_proj.weight", axis: 0, initStd: 0.02 / Float(2 * config.layers).squareRoot()),
        ])
    }

    public func mlpActivations(block: Int) -> UnsafePointer<Float>? {
        guard let a = activationsForInspection, block >= 0, block < config.layers else { return nil }
        return UnsafePointer(a.fchGelu(block))
    }
}
