/// Offsets of one GPT-2 block's tensors inside the flat parameter buffer.
struct GPT2BlockOffsets {
    let ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, fcProjW, fcProjB: Int
}

/// The GPT-2 parameter layout, named as Hugging Face's `GPT2LMHeadModel` stores it (Conv1D weights `[in, out]`).
enum GPT2Parameters {
    static let prefix = "transformer."

    static func blockNames(_ l: Int) -> [String] {
        let p = "\(prefix)h.\(l)."
        return ["ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
                "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
                "mlp.c_proj.weight", "mlp.c_proj.bias"].map { p + $0 }
    }

    static func layout(_ c: GPT2Config) -> [(name: String, shape: [Int], decays: Bool)] {
        let d = c.channels, inner = c.innerChannels
        var t: [(name: String, shape: [Int], decays: Bool)] = [
            ("\(prefix)wte.weight", [c.vocabularySize, d], true),
            ("\(prefix)wpe.weight", [c.maxPositions, d], true),
        ]
        for l in 0..<c.layers {
            let n = blockNames(l)
            t += [(n[0], [d], false), (n[1], [d], false),
                  (n[2], [d, 3 * d], true), (n[3], [3 * d], false),
                  (n[4], [d, d], true), (n[5], [d], false),
                  (n[6], [d], false), (n[7], [d], false),
                  (n[8], [d, inner], true), (n[9], [inner], false),
                  (n[10], [inner, d], true), (n[11], [d], false)]
        }
        t += [("\(prefix)ln_f.weight", [d], false), ("\(prefix)ln_f.bias", [d], false)]
        return t
    }

    static func blockOffsets(_ set: ParameterSet, layers: Int) -> [GPT2BlockOffsets] {
        (0..<layers).map { l in
            let o = blockNames(l).map { set.spec($0)?.offset ?? 0 }
            return GPT2BlockOffsets(ln1w: o[0], ln1b: o[1], attnW: o[2], attnB: o[3], projW: o[4], projB: o[5],
                                    ln2w: o[6], ln2b: o[7], fcW: o[8], fcB: o[9], fcProjW: o[10], fcProjB: o[11])
        }
    }
}
