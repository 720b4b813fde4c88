import Foundation
import SaniEngine

/// The files a sanitization reads and writes.
public struct SanitizationInputs: Sendable, Equatable {
    /// Hugging Face model folder (config.json, weights, tokenizer files).
    public var model: URL
    /// Corpus: JSONL (text, subject, spans) or plain text.
    public var corpus: URL
    /// Optional confidential terms (text or JSON).
    public var terms: URL?
    /// Optional notes the model was never fine-tuned on (same formats as `corpus`). When given, utility is
    /// measured on them and the whole corpus is repaired on (`heldOutFraction` is not used); without them, a
    /// split of the corpus is held out, which the fine-tune that made the model may have seen.
    public var heldOut: URL?
    /// Optional folder of the model the fine-tune started from (same architecture). When given, erase restores
    /// the erased neurons, and the embedding rows of tokens used mostly in sensitive spans, to its values instead
    /// of re-initialising them: general knowledge those neurons held is kept, what the fine-tune wrote is removed.
    public var base: URL?
    /// Optional notes the model never saw, apart from `heldOut`, that the membership floor reads its level
    /// from (`SanitizationOptions.membershipFloor`; without them it reads the held-out notes).
    public var calibration: URL?
    /// Where the sanitized model folder is written.
    public var output: URL
    /// Where epoch checkpoints are kept so that interrupted work resumes (nil: no checkpoints).
    public var checkpoints: URL?

    public init(model: URL, corpus: URL, terms: URL? = nil, heldOut: URL? = nil, base: URL? = nil, output: URL,
                checkpoints: URL? = nil, calibration: URL? = nil) {
        self.model = model; self.corpus = corpus; self.terms = terms; self.heldOut = heldOut; self.base = base
        self.output = output; self.checkpoints = checkpoints; self.calibration = calibration
    }
}

/// Runs the SANI method end to end: blacklist, audit before, erase, repair with an audit after each epoch,
/// audit after, save the sanitized folder with `sanitization-report.json`.
public final class Sanitizer: @unchecked Sendable {
    public let inputs: SanitizationInputs
    public let options: SanitizationOptions
    /// File name of the report written next to the sanitized weights.
    public static let reportFileName = "sanitization-report.json"

    public init(inputs: SanitizationInputs, options: SanitizationOptions) {
        self.inputs = inputs
        self.options = options
    }
}
