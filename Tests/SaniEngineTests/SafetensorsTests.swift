import Foundation
import XCTest
@testable import SaniEngine

/// Helpers shared by the safetensors and weight-store tests.
enum SafetensorsTestSupport {
    /// A fresh empty folder under the system temporary folder.
    static func makeTemporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("sani-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The bytes of a safetensors file with the given header text and data section. `declaredLength` overrides the
    /// length prefix.
    static func fileBytes(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        fileBytes(headerBytes: Array(header.utf8), data: data, declaredLength: declaredLength)
    }

    static func fileBytes(headerBytes: [UInt8], data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        var length = (declaredLength ?? UInt64(headerBytes.count)).littleEndian
        return withUnsafeBytes(of: &length) { Array($0) } + headerBytes + data
    }

    /// Little-endian bytes of 16-bit values.
    static func bytes(ofUInt16 values: [UInt16]) -> [UInt8] {
        values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    }

    /// Little-endian bytes of floats.
    static func bytes(of values: [Float]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    /// Writes `tensors` (name, shape, values) with `SafetensorsWriter`.
    static func write(_ tensors: [(String, [Int], [Float])], metadata: [String: String] = ["format": "pt"],
                      to url: URL) throws {
        let buffers = tensors.map { name, _, values -> (String, UnsafeMutableBufferPointer<Float>) in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: values.count)
            _ = buffer.initialize(from: values)
            return (name, buffer)
        }
        defer { buffers.forEach { $0.1.deallocate() } }
        let specs = zip(tensors, buffers).map { tensor, buffer in
            SafetensorsWriter.Tensor(name: tensor.0, shape: tensor.1, data: UnsafeBufferPointer(buffer.1))
        }
        try SafetensorsWriter.write(specs, metadata: metadata, to: url)
    }

    /// The folder of the committed reference fixture written by `scripts/make_safetensors_fixture.py`.
    static let fixtureFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/safetensors")
}

final class SafetensorsTests: XCTestCase {
    private typealias Support = SafetensorsTestSupport

    // MARK: - Round trip

    func testWriteReadRoundTripIsBitExact() throws {
        let folder = try Support.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        let special: [Float] = [0, -0.0, 1, -2.5, .infinity, -.infinity, .nan, Float(bitPattern: 0x7FC0_1234),
                                Float(bitPattern: 1), .greatestFiniteMagnitude, .ulpOfOne, Float(bitPattern: 0x0001_1170)]
        let matrix = (0..<(3 * 7)).map { Float($0) * 0.37 - 3 }
        let tensors: [(String, [Int], [Float])] = [
            ("z.last.written.first", [3, 7], matrix),
            ("special", [12], special),
            ("scalar", [], [42]),
            ("empty", [0, 5], []),
            ("quote\"and\\slash\nname", [2], [1, 2]),
        ]
        let metadata = ["format": "pt", "note": "ünïcode \"quoted\""]
        try Support.write(tensors, metadata: metadata, to: url)

        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.metadata, metadata)
        XCTAssertEqual(file.names, tensors.map(\.0), "names follow data offsets, which follow the given order")
        for (name, shape, values) in tensors {
            let entry = try XCTUnwrap(file.entry(name))
            XCTAssertEqual(entry.dtype, .f32)
            XCTAssertEqual(entry.shape, shape)
            XCTAssertEqual(entry.elementCount, values.count)
            XCTAssertEqual(try file.floats(name).map(\.bitPattern), values.map(\.bitPattern), name)
        }
        // Header padded so the data section starts at a multiple of 8.
        let bytes = try [UInt8](Data(contentsOf: url))
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0)
        XCTAssertEqual(file.entry("z.last.written.first")?.byteRange.lowerBound, 8 + headerLength)
        // Only the destination remains in the folder (the temporary file was renamed).
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["model.safetensors"])
    }

    func testWriterReplacesExistingFileAndOmitsEmptyMetadata() throws {
        let folder = try Support.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("w.safetensors")
        try Support.write([("a", [2], [1, 2])], to: url)
        try Support.write([("b", [1], [3])], metadata: [:], to: url)
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.names, ["b"])
        XCTAssertEqual(file.metadata, [:])
        XCTAssertEqual(try file.floats("b"), [3])
        let text = String(decoding: try Data(contentsOf: url).dropFirst(8), as: UTF8.self)
        XCTAssertFalse(text.contains("__metadata__"))
    }

    func testWriterRejectsInconsistentTensors() throws {
        let folder = try Support.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("bad.safetensors")
        XCTAssertThrowsError(try Support.write([("a", [2, 2], [1, 2, 3])], to: url)) { error in
            guard case let EngineError.invalidArgument(message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("4 elements"), message)
        }
        XCTAssertThrowsError(try Support.write([("a", [1], [1]), ("a", [1], [2])], to: url))
        XCTAssertThrowsError(try Support.write([("__metadata__", [1], [1])], to: url))
        XCTAssertThrowsError(try Support.write([("a", [-1], [])], to: url))
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
    }

    // MARK: - Half-precision conversions

    func testF16HandBuiltValuesConvertExactly() throws {
        let cases: [(UInt16, Float)] = [
            (0x0000, 0), (0x8000, -0.0), (0x3C00, 1), (0xC000, -2), (0x3555, 0.333251953125),
            (0x7BFF, 65504), (0xFBFF, -65504),
            (0x0400, 0x1p-14),                   // smallest normal
            (0x0001, 0x1p-24),                   // smallest subnormal
            (0x03FF, Float(1023) * 0x1p-24),      // largest subnormal
            (0x8200, -Float(512) * 0x1p-24),      // negative subnormal
            (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        let nans: [UInt16: UInt32] = [0x7E00: 0x7FC0_0000, 0xFE00: 0xFFC0_0000, 0x7C01: 0x7F80_2000,
                                      0x7E01: 0x7FC0_2000]
        let bits = cases.map(\.0) + nans.keys.sorted()
        let url = try writeHalfFile(dtype: "F16", bits: bits)
        let values = try SafetensorsFile(url: url).floats("t")
        for (index, (input, expected)) in cases.enumerated() {
            XCTAssertEqual(values[index].bitPattern, expected.bitPattern, "F16 0x\(String(input, radix: 16))")
        }
        for (offset, input) in nans.keys.sorted().enumerated() {
            let value = values[cases.count + offset]
            XCTAssertTrue(value.isNaN)
            XCTAssertEqual(value.bitPattern, nans[input], "NaN sign and payload are kept")
        }
    }

    func testBF16HandBuiltValuesConvertExactly() throws {
        let bits: [UInt16] = [0x0000, 0x8000, 0x3F80, 0xC020, 0x0001, 0x807F, 0x0080, 0x7F7F, 0xFF7F,
                              0x7F80, 0xFF80, 0x7FC0, 0xFFC1, 0x3EAB]
        let url = try writeHalfFile(dtype: "BF16", bits: bits)
        let values = try SafetensorsFile(url: url).floats("t")
        XCTAssertEqual(values.map(\.bitPattern), bits.map { UInt32($0) << 16 })
        XCTAssertEqual(values[2], 1)
        XCTAssertEqual(values[3], -2.5)
        XCTAssertEqual(values[4], Float(bitPattern: 0x0001_0000), "subnormal kept")
        XCTAssertEqual(values[9], .infinity)
        XCTAssertTrue(values[11].isNaN)
    }

    /// Every half bit pattern, five times over (enough elements to take the threaded path), at an odd address.
    func testF16ConversionMatchesFloat16ForAllBitPatterns() throws {
        let all = (0...UInt16.max).map { $0 }
        let bits = Array([[UInt16]](repeating: all, count: 5).joined())
        XCTAssertGreaterThan(bits.count, FloatConversion.parallelThreshold)
        let url = try writeHalfFile(dtype: "F16", bits: bits, oddAlignment: true)
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(try XCTUnwrap(file.entry("t")).byteRange.lowerBound % 2, 1, "data deliberately unaligned")
        let values = try file.floats("t")
        var mismatches = 0
        for (index, half) in bits.enumerated() {
            let value = values[index]
            #if arch(x86_64) || arch(arm64)
            let reference = Float(Float16(bitPattern: half))
            if reference.isNaN {
                let expected = UInt32(half & 0x8000) << 16 | 0x7F80_0000 | UInt32(half & 0x03FF) << 13
                if value.bitPattern != expected { mismatches += 1 }
            } else if value.bitPattern != reference.bitPattern {
                mismatches += 1
            }
            #endif
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testF64AndUnalignedF32() throws {
        let folder = try Support.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let doubles: [Double] = [0.1, -1e300, 1e-50, 3.5]
        let floats: [Float] = [1.5, -0.0, .infinity]
        let doubleBytes = doubles.withUnsafeBytes { Array($0) }
        // An unpadded header of odd length puts the data section at an odd offset.
        var header = "{\"d\":{\"dtype\":\"F64\",\"shape\":[2,2],\"data_offsets\":[0,32]},"
            + "\"f\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[32,44]}}"
        if header.utf8.count % 2 == 0 { header += " " }
        let url = folder.appendingPathComponent("x.safetensors")
        try Data(Support.fileBytes(header: header, data: doubleBytes + Support.bytes(of: floats))).write(to: url)
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(try file.floats("d"), doubles.map { Float($0) })
        XCTAssertEqual(try file.floats("f").map(\.bitPattern), floats.map(\.bitPattern))
        XCTAssertEqual(file.names, ["d", "f"])
    }

    // MARK: - Reference fixture (written by PyTorch + safetensors)

    func testReadsReferenceFixtureWrittenByPyTorch() throws {
        let folder = Support.fixtureFolder
        let file = try SafetensorsFile(url: folder.appendingPathComponent("reference.safetensors"))
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("reference.json"))) as? [String: Any]
        let expected = try XCTUnwrap(json)
        XCTAssertEqual(file.metadata, expected["metadata"] as? [String: String])
        let tensors = try XCTUnwrap(expected["tensors"] as? [String: [String: Any]])
        XCTAssertEqual(Set(file.names), Set(tensors.keys))
        let offsets = file.names.compactMap { file.entry($0)?.byteRange.lowerBound }
        XCTAssertEqual(offsets, offsets.sorted(), "names are in data-offset order")
        let dtypes: [String: TensorDType] = ["float32": .f32, "float16": .f16, "bfloat16": .bf16, "float64": .f64,
                                             "int64": .i64]
        for (name, info) in tensors {
            let entry = try XCTUnwrap(file.entry(name), name)
            XCTAssertEqual(entry.shape, info["shape"] as? [Int], name)
            XCTAssertEqual(entry.dtype, dtypes[info["dtype"] as? String ?? ""], name)
            guard let bits = info["bits"] as? [Int] else {
                XCTAssertThrowsError(try file.floats(name)) { error in
                    XCTAssertEqual(error as? EngineError, .unsupportedDType(tensor: name, dtype: "I64"))
                }
                continue
            }
            let values = try file.floats(name)
            XCTAssertEqual(values.count, bits.count, name)
            for (value, bit) in zip(values, bits) {
                let reference = Float(bitPattern: UInt32(bit))
                if reference.isNaN {
                    // PyTorch itself canonicalises some NaNs (0x7FFFFFFF); only NaN-ness is comparable.
                    XCTAssertTrue(value.isNaN, name)
                } else {
                    XCTAssertEqual(value.bitPattern, reference.bitPattern, "\(name): \(value) vs \(reference)")
                }
            }
        }
    }

    func testReadErrors() throws {
        let file = try SafetensorsFile(url: Support.fixtureFolder.appendingPathComponent("reference.safetensors"))
        let destination = UnsafeMutablePointer<Float>.allocate(capacity: 100)
        defer { destination.deallocate() }
        XCTAssertThrowsError(try file.read("f32", into: destination, count: 63)) { error in
            XCTAssertEqual(error as? EngineError, .shapeMismatch(tensor: "f32", expected: [63], found: [4, 16]))
        }
        XCTAssertThrowsError(try file.read("nope", into: destination, count: 1)) { error in
            XCTAssertEqual(error as? EngineError, .missingTensor("nope"))
        }
        XCTAssertThrowsError(try file.read("i64", into: destination, count: 6)) { error in
            XCTAssertEqual(error as? EngineError, .unsupportedDType(tensor: "i64", dtype: "I64"))
        }
        XCTAssertNil(file.entry("nope"))
        try file.read("scalar", into: destination, count: 1)
        XCTAssertEqual(destination[0], 2.5)
        XCTAssertEqual(try file.floats("empty"), [])
        XCTAssertThrowsError(try SafetensorsFile(url: URL(fileURLWithPath: "/nonexistent/x.safetensors"))) { error in
            guard case EngineError.io = error else { return XCTFail("\(error)") }
        }
    }

    // MARK: - Malformed files

    func testMalformedLengthPrefix() throws {
        assertMalformed([], "shorter than the 8-byte")
        assertMalformed([1, 2, 3], "shorter than the 8-byte")
        assertMalformed(Support.fileBytes(header: "{}", declaredLength: 1000), "larger than the 2 bytes")
        assertMalformed(Support.fileBytes(header: "{}", declaredLength: 200_000_000), "absurdly large")
        assertMalformed(Support.fileBytes(header: "{}", declaredLength: UInt64.max), "absurdly large")
    }

    func testMalformedHeaderText() throws {
        assertMalformed(Support.fileBytes(headerBytes: [0x7B, 0xFF, 0xFE, 0x7D]), "not valid UTF-8")
        assertMalformed(Support.fileBytes(header: "{not json}"), "not valid JSON")
        assertMalformed(Support.fileBytes(header: "{\"a\": {"), "not valid JSON")
        assertMalformed(Support.fileBytes(header: "[1, 2]"), "not an object")
        assertMalformed(Support.fileBytes(header: "\"text\""), "not an object")
        assertMalformed(Support.fileBytes(header: "   "), "header is empty")
        assertMalformed(Support.fileBytes(header: ""), "header is empty")
        assertMalformed(Support.fileBytes(header: "{\"__metadata__\": {\"a\": 1}}"), "__metadata__")
        assertMalformed(Support.fileBytes(header: "{\"__metadata__\": [\"a\"]}"), "__metadata__")
    }

    func testMalformedEntryTypes() throws {
        let good = "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]"
        let data = [UInt8](repeating: 0, count: 8)
        func header(_ entry: String) -> [UInt8] { Support.fileBytes(header: "{\"t\":{\(entry)}}", data: data) }
        // Sanity: the good entry opens.
        XCTAssertNoThrow(try open(header(good)))
        assertMalformed(Support.fileBytes(header: "{\"t\": 3}", data: data), "entry is not a JSON object")
        assertMalformed(header("\"shape\":[2],\"data_offsets\":[0,8]"), "missing \"dtype\"")
        assertMalformed(header("\"dtype\":\"F32\",\"data_offsets\":[0,8]"), "missing \"shape\"")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[2]"), "missing \"data_offsets\"")
        assertMalformed(header("\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]"), "\"dtype\" is not a string")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]"),
                        "\"shape\" is not an array")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{\"a\":0}"),
                        "\"data_offsets\" is not an array")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]"), "negative")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]"), "not an integer")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]"), "not an integer")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,8]"), "not an integer")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[1e30],\"data_offsets\":[0,8]"), "not an integer")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.5]"), "not an integer")
        assertMalformed(header("\"dtype\":\"F17\",\"shape\":[2],\"data_offsets\":[0,8]"), "unknown dtype \"F17\"")
        XCTAssertThrowsError(try open(header("\"dtype\":\"F4\",\"shape\":[16],\"data_offsets\":[0,8]"))) { error in
            XCTAssertEqual(error as? EngineError, .unsupportedDType(tensor: "t", dtype: "F4"))
        }
    }

    func testMalformedSizesAndOffsets() throws {
        let data = [UInt8](repeating: 0, count: 8)
        func header(_ entry: String) -> [UInt8] { Support.fileBytes(header: "{\"t\":{\(entry)}}", data: data) }
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,8]"),
                        "element count of shape")
        assertMalformed(header("\"dtype\":\"F64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,8]"),
                        "byte size of shape")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]"), "must be [begin, end]")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]"), "must be [begin, end]")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]"), "negative")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]"), "is after end")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]"),
                        "beyond the data section (8 bytes)")
        assertMalformed(header("\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]"), "needs 3 × 4 = 12 bytes")
        assertMalformed(header("\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,8]"), "needs 2 × 2 = 4 bytes")
    }

    func testMalformedTiling() throws {
        let data = [UInt8](repeating: 0, count: 16)
        func file(_ a: String, _ b: String) -> [UInt8] {
            Support.fileBytes(header: "{\"a\":{\"dtype\":\"F32\",\(a)},\"b\":{\"dtype\":\"F32\",\(b)}}", data: data)
        }
        XCTAssertNoThrow(try open(file("\"shape\":[2],\"data_offsets\":[8,16]", "\"shape\":[2],\"data_offsets\":[0,8]")))
        assertMalformed(file("\"shape\":[3],\"data_offsets\":[0,12]", "\"shape\":[2],\"data_offsets\":[8,16]"),
                        "\"a\" and \"b\" overlap")
        assertMalformed(file("\"shape\":[2],\"data_offsets\":[0,8]", "\"shape\":[2],\"data_offsets\":[0,8]"),
                        "overlap")
        assertMalformed(file("\"shape\":[1],\"data_offsets\":[0,4]", "\"shape\":[2],\"data_offsets\":[8,16]"),
                        "data bytes 4..<8 are not covered by any tensor (hole before \"b\")")
        assertMalformed(file("\"shape\":[1],\"data_offsets\":[0,4]", "\"shape\":[1],\"data_offsets\":[4,8]"),
                        "trailing bytes")
        assertMalformed(Support.fileBytes(header: "{}", data: [0]), "trailing bytes")
        // A header alone, with no tensors and no data, is valid.
        XCTAssertEqual(try open(Support.fileBytes(header: "{}")).names, [])
        // Zero-size tensors may sit anywhere on a boundary.
        let zero = Support.fileBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"z\":{\"dtype\":\"F16\",\"shape\":[0,3],\"data_offsets\":[8,8]}}", data: [UInt8](repeating: 0, count: 8))
        XCTAssertEqual(try open(zero).names, ["a", "z"])
    }

    // MARK: - Helpers

    /// Writes `bytes` to a temporary file and opens it.
    @discardableResult
    private func open(_ bytes: [UInt8]) throws -> SafetensorsFile {
        let folder = try Support.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("t.safetensors")
        try Data(bytes).write(to: url)
        return try SafetensorsFile(url: url)
    }

    private func assertMalformed(_ bytes: [UInt8], _ expectedReason: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try open(bytes), file: file, line: line) { error in
            guard case let EngineError.malformedFile(_, reason) = error else {
                return XCTFail("expected malformedFile, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(reason.contains(expectedReason), "reason \"\(reason)\" lacks \"\(expectedReason)\"",
                          file: file, line: line)
        }
    }

    /// A file with one 16-bit tensor "t" holding `bits`; with `oddAlignment` its data starts at an odd offset.
    private func writeHalfFile(dtype: String, bits: [UInt16], oddAlignment: Bool = false) throws -> URL {
        var header = "{\"t\":{\"dtype\":\"\(dtype)\",\"shape\":[\(bits.count)],"
            + "\"data_offsets\":[0,\(bits.count * 2)]}}"
        if oddAlignment, header.utf8.count % 2 == 0 { header += " " }
        let folder = try Support.makeTemporaryFolder()
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("half.safetensors")
        try Data(Support.fileBytes(header: header, data: Support.bytes(ofUInt16: bits))).write(to: url)
        return url
    }
}
