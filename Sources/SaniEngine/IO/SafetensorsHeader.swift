import Foundation

/// The parsed and fully validated header of a safetensors file.
///
/// Layout of the format: an unsigned 64-bit little-endian header length `N`, then `N` bytes of UTF-8 JSON
/// (an object mapping tensor names to `{"dtype", "shape", "data_offsets": [begin, end]}` plus an optional
/// `"__metadata__"` string map), then the data section. Offsets are relative to the data section. Validation
/// follows the reference implementation: tensors must tile the data section exactly (no overlap, no hole, no
/// trailing bytes) and each tensor's byte length must equal its element count times the dtype size.
struct SafetensorsHeader {
    /// The `"__metadata__"` map (empty when absent).
    let metadata: [String: String]
    /// Tensors in the order of their data offsets, with absolute byte ranges.
    let entries: [TensorEntry]

    /// Headers larger than this are rejected before anything is allocated (the reference implementation's limit).
    static let maximumHeaderLength = 100_000_000

    /// Parses and validates the header of a complete file image.
    /// - Throws: `EngineError.malformedFile` naming the problem, or `EngineError.unsupportedDType` for the
    ///   format's sub-byte types.
    static func parse(file bytes: UnsafeRawBufferPointer, path: String) throws -> SafetensorsHeader {
        func malformed(_ reason: String) -> EngineError { .malformedFile(path: path, reason: reason) }

        guard bytes.count >= 8 else {
            throw malformed("file is \(bytes.count) bytes, shorter than the 8-byte header length prefix")
        }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard declared <= UInt64(maximumHeaderLength) else {
            throw malformed("header length \(declared) is absurdly large (limit \(maximumHeaderLength) bytes); "
                + "not a safetensors file?")
        }
        let headerLength = Int(declared)
        guard headerLength <= bytes.count - 8 else {
            throw malformed("header length \(headerLength) is larger than the \(bytes.count - 8) bytes that follow "
                + "the length prefix (truncated file?)")
        }
        let dataStart = 8 + headerLength
        let raw = try decodeJSON(UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]), malformed: malformed)
        let dataSize = bytes.count - dataStart

        var entries: [TensorEntry] = []
        entries.reserveCapacity(raw.entries.count)
        for item in raw.entries {
            entries.append(try validate(item, dataStart: dataStart, dataSize: dataSize, malformed: malformed))
        }
        entries.sort { ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name)
            < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name) }
        try checkTiling(entries, dataStart: dataStart, fileSize: bytes.count, malformed: malformed)
        return SafetensorsHeader(metadata: raw.metadata, entries: entries)
    }

    /// Checks UTF-8, that the JSON is an object, and decodes it.
    private static func decodeJSON(_ header: UnsafeRawBufferPointer,
                                   malformed: (String) -> EngineError) throws -> SafetensorsRawHeader {
        guard isValidUTF8(header) else { throw malformed("header is not valid UTF-8") }
        let spaces: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        guard let first = header.first(where: { !spaces.contains($0) }) else {
            throw malformed("header is empty")
        }
        guard first == UInt8(ascii: "{") else { throw malformed("header JSON is not an object") }
        do {
            return try JSONDecoder().decode(SafetensorsRawHeader.self, from: Data(header))
        } catch let problem as SafetensorsHeaderProblem {
            throw malformed(problem.reason)
        } catch {
            throw malformed("header is not valid JSON (\(jsonSyntaxDetail(header) ?? "\(error)"))")
        }
    }

    /// Where the JSON syntax error is, as `JSONSerialization` words it (`JSONDecoder` does not say).
    private static func jsonSyntaxDetail(_ header: UnsafeRawBufferPointer) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(header))
            return nil
        } catch {
            return (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
        }
    }

    private static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// Checks one entry's dtype, shape and byte length, and converts its offsets to absolute ones.
    private static func validate(_ item: SafetensorsRawEntry, dataStart: Int, dataSize: Int,
                                 malformed: (String) -> EngineError) throws -> TensorEntry {
        let prefix = "tensor \"\(item.name)\": "
        guard let dtype = TensorDType(rawValue: item.dtype) else {
            if TensorDType.subByteTypeNames.contains(item.dtype) {
                throw EngineError.unsupportedDType(tensor: item.name, dtype: item.dtype)
            }
            throw malformed(prefix + "unknown dtype \"\(item.dtype)\"")
        }
        var elements = 1
        for dim in item.shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw malformed(prefix + "element count of shape \(item.shape) overflows") }
            elements = product
        }
        let (byteLength, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw malformed(prefix + "byte size of shape \(item.shape) overflows") }
        guard item.end <= dataSize else {
            throw malformed(prefix + "data_offsets end \(item.end) is beyond the data section (\(dataSize) bytes)")
        }
        guard item.end - item.begin == byteLength else {
            throw malformed(prefix + "data_offsets [\(item.begin), \(item.end)] span \(item.end - item.begin) "
                + "bytes but shape \(item.shape) of \(dtype.rawValue) needs \(elements) × \(dtype.byteSize) = "
                + "\(byteLength) bytes")
        }
        return TensorEntry(name: item.name, dtype: dtype, shape: item.shape,
                           byteRange: (dataStart + item.begin)..<(dataStart + item.end))
    }

    /// Checks that the sorted entries cover the data section exactly once.
    private static func checkTiling(_ entries: [TensorEntry], dataStart: Int, fileSize: Int,
                                    malformed: (String) -> EngineError) throws {
        var covered = dataStart
        var previous: TensorEntry?
        for entry in entries {
            let begin = entry.byteRange.lowerBound
            if begin < covered, let previous {
                throw malformed("tensors \"\(previous.name)\" and \"\(entry.name)\" overlap (data offsets "
                    + "\(previous.byteRange.lowerBound - dataStart)..<\(previous.byteRange.upperBound - dataStart) "
                    + "and \(begin - dataStart)..<\(entry.byteRange.upperBound - dataStart))")
            }
            if begin > covered {
                throw malformed("data bytes \(covered - dataStart)..<\(begin - dataStart) are not covered by any "
                    + "tensor (hole before \"\(entry.name)\")")
            }
            covered = entry.byteRange.upperBound
            previous = entry
        }
        if covered < fileSize {
            throw malformed("data bytes \(covered - dataStart)..<\(fileSize - dataStart) after the last tensor "
                + "are not covered by any tensor (trailing bytes)")
        }
    }
}
