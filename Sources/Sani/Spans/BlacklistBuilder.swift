/// Builds the blacklist of a corpus by running the chosen span sources over every record and merging
/// their spans (see `SpanMerger`).
public struct BlacklistBuilder: Sendable {
    /// Which sources run.
    public struct Options: Sendable {
        /// Whether the spans given with the corpus are used.
        public var useAnnotations: Bool
        /// The confidential terms, if a terms file was given.
        public var terms: TermList?
        /// The built-in detectors that run (all by default).
        public var detectors: Set<SpanDetector.Kind>
        /// K-anonymity over the corpus's subjects, if wanted (off by default; see `recommended(for:terms:)`).
        public var kAnonymity: KAnonymityDetector?

        public init(
            useAnnotations: Bool = true, terms: TermList? = nil,
            detectors: Set<SpanDetector.Kind> = Set(SpanDetector.Kind.allCases),
            kAnonymity: KAnonymityDetector? = nil
        ) {
            self.useAnnotations = useAnnotations
            self.terms = terms
            self.detectors = detectors
            self.kAnonymity = kAnonymity
        }

        /// The method's defaults for a corpus: its annotations, the terms if any, every detector, and
        /// k-anonymity with k = 2 when the records name their subjects.
        public static func recommended(for corpus: Corpus, terms: TermList? = nil) -> Options {
            Options(terms: terms, kAnonymity: corpus.hasSubjects ? KAnonymityDetector() : nil)
        }
    }

    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// The merged spans of every record of `corpus`. k-anonymity counts the subjects using a word in
    /// `population` (default: `corpus` itself). Throws `SaniError.invalidArgument` when the k-anonymity
    /// parameters are out of range.
    public func build(for corpus: Corpus, population: Corpus? = nil) throws -> Blacklist {
        try options.kAnonymity?.validate()
        let detector = SpanDetector(kinds: options.detectors)
        let indirectWords = options.kAnonymity.map { $0.sensitiveWords(in: population ?? corpus) } ?? []
        var perRecord: [[SensitiveSpan]] = []
        perRecord.reserveCapacity(corpus.records.count)
        for record in corpus.records {
            var spans: [SensitiveSpan] = []
            if options.useAnnotations { spans += record.annotations }
            if let terms = options.terms { spans += terms.spans(in: record.text) }
            spans += detector.detect(in: record.text)
            if let kAnonymity = options.kAnonymity {
                spans += kAnonymity.spans(in: record.text, sensitiveWords: indirectWords)
            }
            perRecord.append(SpanMerger.merge(spans))
        }
        return Blacklist(spans: perRecord)
    }
}
