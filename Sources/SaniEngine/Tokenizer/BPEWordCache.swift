import Foundation

/// A thread-safe cache from a word's bytes to its merged BPE symbols.
///
/// Text repeats words heavily, so most words are merged once. The cache is emptied when it
/// reaches its capacity, which bounds memory on long runs over varied text.
final class BPEWordCache: @unchecked Sendable {
    /// Words longer than this many bytes are not cached.
    static let maximumWordLength = 256

    private let capacity: Int
    private let lock = NSLock()
    private var storage: [[UInt8]: [BPESymbol]] = [:]

    init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    /// The cached symbols of `word`, if any.
    func symbols(for word: [UInt8]) -> [BPESymbol]? {
        lock.lock()
        defer { lock.unlock() }
        return storage[word]
    }

    /// Stores the symbols of `word`.
    func store(_ symbols: [BPESymbol], for word: [UInt8]) {
        guard word.count <= Self.maximumWordLength else { return }
        lock.lock()
        defer { lock.unlock() }
        if storage.count >= capacity { storage.removeAll(keepingCapacity: true) }
        storage[word] = symbols
    }
}
