import Foundation
import XCTest
@testable import SaniEngine

// MARK: - A tiny GGUF writer for the tests

/// A tensor to write: raw data bytes, and optionally a forced relative offset or dimension count.
private struct TestTensor {
    var name: String
    var dims: [Int64]
    var type: UInt32
    var data: [UInt8]
    var offset: UInt64?
    var dimensionCountOverride: UInt32?
}

/// Builds GGUF bytes: header, metadata (typed values or raw pre-encoded pairs), tensor infos, aligned data.
private struct GGUFBuilder {
    var version: UInt32 = 3
    var metadata: [(String, GGUFValue)] = []
    /// Pre-encoded key/value pairs appended after `metadata` (for malformed values).
    var rawMetadata: [[UInt8]] = []
    var tensors: [TestTensor] = []
    /// Data alignment used for the layout (write `general.alignment` yourself when it is not 32).
    var alignment = 32

    static func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func string(_ s: String) -> [UInt8] { u64(UInt64(s.utf8.count)) + Array(s.utf8) }

    static func typeCode(_ v: GGUFValue) -> UInt32 {
        switch v {
        case .uint8: return 0
        case .int8: return 1
        case .uint16: return 2
        case .int16: return 3
        case .uint32: return 4
        case .int32: return 5
        case .float32: return 6
        case .bool: return 7
        case .string: return 8
        case .array: return 9
        case .uint64: return 10
        case .int64: return 11
        case .float64: return 12
        }
    }

    static func payload(_ v: GGUFValue) -> [UInt8] {
        func raw<T>(_ x: T) -> [UInt8] { withUnsafeBytes(of: x) { Array($0) } }
        switch v {
        case let .uint8(x): return [x]
        case let .int8(x): return raw(x)
        case let .uint16(x): return raw(x)
        case let .int16(x): return raw(x)
        case let .uint32(x): return raw(x)
        case let .int32(x): return raw(x)
        case let .float32(x): return raw(x.bitPattern)
        case let .bool(x): return [x ? 1 : 0]
        case let .string(x): return string(x)
        case let .array(elements):
            let elementType = elements.first.map(typeCode) ?? 0
            return u32(elementType) + u64(UInt64(elements.count)) + elements.flatMap(payload)
        case let .uint64(x): return raw(x)
        case let .int64(x): return raw(x)
        case let .float64(x): return raw(x.bitPattern)
        }
    }

    static func pair(_ key: String, _ v: GGUFValue) -> [UInt8] { string(key) + u32(typeCode(v)) + payload(v) }

    /// Relative data offsets: forced ones, otherwise packed in order with alignment padding.
    func offsets() -> [UInt64] {
        var next: UInt64 = 0
        var result: [UInt64] = []
        for t in tensors {
            let offset = t.offset ?? next
            result.append(offset)
            guard offset < 1 << 40 else { continue }  // far-away forced offsets do not move the packing
            let end = Int(offset) + t.data.count
            next = UInt64((end + alignment - 1) / alignment * alignment)
        }
        return result
    }

    func bytes() -> [UInt8] {
        var out = Array("GGUF".utf8) + Self.u32(version)
        out += Self.u64(UInt64(tensors.count)) + Self.u64(UInt64(metadata.count + rawMetadata.count))
        for (key, value) in metadata { out += Self.pair(key, value) }
        for raw in rawMetadata { out += raw }
        let offsets = offsets()
        for (t, offset) in zip(tensors, offsets) {
            out += Self.string(t.name) + Self.u32(t.dimensionCountOverride ?? UInt32(t.dims.count))
            for d in t.dims { out += Self.u64(UInt64(bitPattern: d)) }
            out += Self.u32(t.type) + Self.u64(offset)
        }
        while out.count % alignment != 0 { out.append(0) }
        let dataStart = out.count
        for (t, offset) in zip(tensors, offsets) where !t.data.isEmpty {
            let start = dataStart + Int(offset)
            if out.count < start + t.data.count { out += [UInt8](repeating: 0, count: start + t.data.count - out.count) }
            out.replaceSubrange(start..<(start + t.data.count), with: t.data)
        }
        return out
    }
}

private func halfBytes(_ bits: UInt16) -> [UInt8] { [UInt8(bits & 0xFF), UInt8(bits >> 8)] }
private func floatBytes(_ values: [Float]) -> [UInt8] { values.flatMap { GGUFBuilder.u32($0.bitPattern) } }

/// Deterministic pseudo-random bytes (a 64-bit LCG, top byte), shared with the Python script that made the
/// K-quant reference sums below.
private func lcgBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(state >> 56)
    }
}

// MARK: - Tests

final class GGUFTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func write(_ bytes: [UInt8], name: String = "model.gguf") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    private func open(_ builder: GGUFBuilder) throws -> GGUFFile {
        try GGUFFile(url: write(builder.bytes()))
    }

    /// Asserts that opening `bytes` fails with `malformedFile` whose reason contains `fragment`.
    private func assertMalformed(_ bytes: [UInt8], _ fragment: String, file: StaticString = #filePath,
                                 line: UInt = #line) throws {
        let url = try write(bytes)
        XCTAssertThrowsError(try GGUFFile(url: url), file: file, line: line) { error in
            guard case let EngineError.malformedFile(_, reason) = error else {
                return XCTFail("expected malformedFile, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(fragment.isEmpty || reason.contains(fragment), "reason \"\(reason)\" lacks \"\(fragment)\"", file: file, line: line)
        }
    }

    private func single(_ tensor: TestTensor) -> GGUFBuilder {
        var b = GGUFBuilder()
        b.tensors = [tensor]
        return b
    }

    // MARK: Header and metadata

    func testMetadataOfEveryTypeRoundTrips() throws {
        var b = GGUFBuilder()
        b.metadata = [
            ("general.architecture", .string("llama")),
            ("u8", .uint8(200)), ("i8", .int8(-5)), ("u16", .uint16(60000)), ("i16", .int16(-300)),
            ("u32", .uint32(4_000_000_000)), ("i32", .int32(-7)), ("f32", .float32(0.5)), ("flag", .bool(true)),
            ("u64", .uint64(1 << 40)), ("i64", .int64(-(1 << 40))), ("f64", .float64(1e-300)),
            ("tokens", .array([.string("a"), .string("Ġb"), .string("<|im_end|>")])),
            ("scores", .array([.float32(-1), .float32(2.5)])),
            ("types", .array([.int32(1), .int32(3)])),
            ("empty", .array([])),
            ("nested", .array([.array([.uint8(1)]), .array([.uint8(2), .uint8(3)])])),
        ]
        let f = try open(b)
        XCTAssertEqual(f.version, 3)
        XCTAssertEqual(f.metadataKeys, b.metadata.map(\.0))
        for (key, value) in b.metadata { XCTAssertEqual(f.metadata[key], value, key) }
        XCTAssertEqual(f.metadata["general.architecture"]?.string, "llama")
        XCTAssertEqual(f.metadata["u32"]?.int, 4_000_000_000)
        XCTAssertEqual(f.metadata["i64"]?.int, -(1 << 40))
        XCTAssertEqual(f.metadata["f32"]?.float, 0.5)
        XCTAssertEqual(f.metadata["u8"]?.float, 200)
        XCTAssertEqual(f.metadata["flag"]?.bool, true)
        XCTAssertEqual(f.metadata["tokens"]?.strings, ["a", "Ġb", "<|im_end|>"])
        XCTAssertEqual(f.metadata["scores"]?.floats, [-1, 2.5])
        XCTAssertEqual(f.metadata["types"]?.ints, [1, 3])
        XCTAssertEqual(f.metadata["empty"]?.strings, [])
        XCTAssertNil(f.metadata["tokens"]?.int)
        XCTAssertNil(f.metadata["types"]?.strings)
        XCTAssertNil(GGUFValue.uint64(.max).int)
        XCTAssertTrue(f.tensors.isEmpty)
        XCTAssertEqual(f.alignment, 32)
    }

    func testVersion2IsAccepted() throws {
        var b = GGUFBuilder()
        b.version = 2
        b.metadata = [("general.name", .string("v2"))]
        XCTAssertEqual(try open(b).version, 2)
    }

    func testBadMagicAndVersion() throws {
        var bytes = GGUFBuilder().bytes()
        bytes[0] = UInt8(ascii: "X")
        try assertMalformed(bytes, "not a GGUF file")
        for version: UInt32 in [1, 4, 0x0300_0000] {
            var b = GGUFBuilder()
            b.version = version
            try assertMalformed(b.bytes(), "unsupported GGUF version")
        }
        var big = GGUFBuilder()
        big.version = 0x0300_0000
        try assertMalformed(big.bytes(), "big-endian")
        try assertMalformed([], "truncated")
        try assertMalformed(Array("GGUF".utf8), "truncated")
    }

    func testCountsBeyondTheFile() throws {
        var bytes = GGUFBuilder().bytes()
        bytes.replaceSubrange(8..<16, with: GGUFBuilder.u64(1 << 60))
        try assertMalformed(bytes, "tensor count")
        bytes = GGUFBuilder().bytes()
        bytes.replaceSubrange(16..<24, with: GGUFBuilder.u64(UInt64.max))
        try assertMalformed(bytes, "metadata count")
        // A kv count that claims one more pair than present, followed by garbage: the second key's length is huge.
        var b = GGUFBuilder()
        b.metadata = [("a", .uint32(1))]
        bytes = Array(b.bytes().prefix(24 + 17))
        bytes.replaceSubrange(16..<24, with: GGUFBuilder.u64(2))
        bytes += [UInt8](repeating: 0xFF, count: 9)
        try assertMalformed(bytes, "length of key of metadata pair 1")
    }

    func testStringAndArrayLengthsBeyondTheFile() throws {
        var b = GGUFBuilder()
        b.metadata = [("general.name", .string("x"))]
        var bytes = b.bytes()
        bytes.replaceSubrange(24..<32, with: GGUFBuilder.u64(1 << 50))
        try assertMalformed(bytes, "length of key")
        b = GGUFBuilder()
        b.rawMetadata = [GGUFBuilder.string("value") + GGUFBuilder.u32(8) + GGUFBuilder.u64(1 << 40) + [65]]
        try assertMalformed(b.bytes(), "length of string value of value")
        b = GGUFBuilder()
        b.rawMetadata = [GGUFBuilder.string("list") + GGUFBuilder.u32(9) + GGUFBuilder.u32(8)
                         + GGUFBuilder.u64(1 << 40) + GGUFBuilder.string("a")]
        try assertMalformed(b.bytes(), "array length of list")
        // 1000 uint32 claimed, 3 present: within the count bound for bytes, so it is the element read that fails.
        b = GGUFBuilder()
        b.rawMetadata = [GGUFBuilder.string("ints") + GGUFBuilder.u32(9) + GGUFBuilder.u32(4)
                         + GGUFBuilder.u64(1000) + GGUFBuilder.u32(1) + GGUFBuilder.u32(2) + GGUFBuilder.u32(3)]
        try assertMalformed(b.bytes(), "ints")
    }

    func testUnknownValueTypesAndBadValues() throws {
        var b = GGUFBuilder()
        b.rawMetadata = [GGUFBuilder.string("weird") + GGUFBuilder.u32(13) + [0, 0, 0, 0]]
        try assertMalformed(b.bytes(), "unknown value type 13")
        b.rawMetadata = [GGUFBuilder.string("weird") + GGUFBuilder.u32(9) + GGUFBuilder.u32(42) + GGUFBuilder.u64(0)]
        try assertMalformed(b.bytes(), "unknown element type 42")
        b.rawMetadata = [GGUFBuilder.string("flag") + GGUFBuilder.u32(7) + [2]]
        try assertMalformed(b.bytes(), "must be 0 or 1")
        b.rawMetadata = [GGUFBuilder.string("bad") + GGUFBuilder.u32(8) + GGUFBuilder.u64(2) + [0xC3, 0x28]]
        try assertMalformed(b.bytes(), "not valid UTF-8")
        b = GGUFBuilder()
        b.metadata = [("k", .uint8(1)), ("k", .uint8(2))]
        try assertMalformed(b.bytes(), "appears twice")
        b.metadata = [("general.alignment", .uint32(24))]
        try assertMalformed(b.bytes(), "power of two")
        b.metadata = [("general.alignment", .string("32"))]
        try assertMalformed(b.bytes(), "power of two")
    }

    // MARK: Tensor infos

    func testTensorInfosAndCustomAlignment() throws {
        var b = GGUFBuilder()
        b.alignment = 64
        b.metadata = [("general.alignment", .uint32(64))]
        b.tensors = [
            TestTensor(name: "a", dims: [3], type: 0, data: floatBytes([1, 2, 3])),
            TestTensor(name: "b", dims: [32, 2], type: 2, data: [UInt8](repeating: 0, count: 36)),
        ]
        let f = try open(b)
        XCTAssertEqual(f.alignment, 64)
        XCTAssertEqual(f.dataOffset % 64, 0)
        XCTAssertEqual(f.tensors.map(\.name), ["a", "b"])
        let a = try XCTUnwrap(f.tensor("a"))
        XCTAssertEqual(a.dimensions, [3])
        XCTAssertEqual(a.type, .f32)
        XCTAssertEqual(a.offset, f.dataOffset)
        XCTAssertEqual(a.byteCount, 12)
        let q = try XCTUnwrap(f.tensor("b"))
        XCTAssertEqual(q.dimensions, [32, 2])
        XCTAssertEqual(q.type, .q4_0)
        XCTAssertEqual(q.offset, f.dataOffset + 64)
        XCTAssertEqual(q.elementCount, 64)
        XCTAssertEqual(q.byteCount, 36)
        XCTAssertNil(f.tensor("c"))
        XCTAssertEqual(try f.floats("a"), [1, 2, 3])
    }

    func testUnknownTensorTypeIsUnsupportedDType() throws {
        let b = single(TestTensor(name: "w", dims: [4], type: 99, data: [UInt8](repeating: 0, count: 16)))
        XCTAssertThrowsError(try open(b)) { error in
            XCTAssertEqual(error as? EngineError, .unsupportedDType(tensor: "w", dtype: "ggml type 99"))
        }
        // A known type that cannot be dequantized opens, and reading it says so.
        let iq = single(TestTensor(name: "iq", dims: [256], type: 16, data: [UInt8](repeating: 0, count: 66)))
        let f = try open(iq)
        XCTAssertThrowsError(try f.floats("iq")) { error in
            XCTAssertEqual(error as? EngineError, .unsupportedDType(tensor: "iq", dtype: "IQ2_XXS"))
        }
    }

    func testBadDimensions() throws {
        let data = [UInt8](repeating: 0, count: 16)
        try assertMalformed(single(TestTensor(name: "z", dims: [0], type: 0, data: data)).bytes(), "must be positive")
        try assertMalformed(single(TestTensor(name: "n", dims: [4, -1], type: 0, data: data)).bytes(),
                            "must be positive")
        try assertMalformed(single(TestTensor(name: "o", dims: [1 << 40, 1 << 40], type: 0, data: data)).bytes(),
                            "element count overflows")
        try assertMalformed(single(TestTensor(name: "b", dims: [1 << 61], type: 0, data: data)).bytes(),
                            "byte count overflows")
        try assertMalformed(single(TestTensor(name: "d0", dims: [], type: 0, data: data)).bytes(), "0 dimensions")
        try assertMalformed(single(TestTensor(name: "d5", dims: [1, 1, 1, 1, 4], type: 0, data: data)).bytes(),
                            "5 dimensions")
        try assertMalformed(single(TestTensor(name: "q", dims: [16, 2], type: 2, data: [UInt8](repeating: 0, count: 18)))
            .bytes(), "not a multiple of the block size 32 of Q4_0")
        var b = GGUFBuilder()
        b.tensors = [TestTensor(name: "t", dims: [4], type: 0, data: data), TestTensor(name: "t", dims: [4], type: 0, data: data)]
        try assertMalformed(b.bytes(), "tensor t appears twice")
        // More tensors claimed than there are infos: the reads run off the end.
        b = single(TestTensor(name: "t", dims: [4], type: 0, data: data))
        var bytes = b.bytes()
        bytes.replaceSubrange(8..<16, with: GGUFBuilder.u64(2))
        try assertMalformed(bytes, "")
    }

    func testBadOffsets() throws {
        let data = floatBytes([1, 2, 3, 4])
        try assertMalformed(single(TestTensor(name: "m", dims: [4], type: 0, data: data, offset: 4)).bytes(),
                            "not a multiple of the alignment 32")
        var beyond = single(TestTensor(name: "e", dims: [4], type: 0, data: data))
        var bytes = beyond.bytes()
        bytes.removeLast(4)
        try assertMalformed(bytes, "beyond the end of the file")
        // Offsets far away (the data itself is not written).
        beyond.tensors[0].data = []
        beyond.tensors[0].offset = 1 << 20
        try assertMalformed(beyond.bytes(), "beyond the end of the file")
        beyond.tensors[0].offset = UInt64(Int.max) / 32 * 32
        try assertMalformed(beyond.bytes(), "beyond the end of the file")
        beyond.tensors[0].offset = UInt64.max / 32 * 32
        try assertMalformed(beyond.bytes(), "offset \(UInt64.max / 32 * 32) overflows")
        var overlap = GGUFBuilder()
        overlap.tensors = [
            TestTensor(name: "x", dims: [16], type: 0, data: [UInt8](repeating: 0, count: 64)),
            TestTensor(name: "y", dims: [4], type: 0, data: data, offset: 32),
        ]
        try assertMalformed(overlap.bytes(), "tensors x and y overlap")
    }

    // MARK: Dequantization

    func testPlainTypes() throws {
        var b = GGUFBuilder()
        b.tensors = [
            TestTensor(name: "f32", dims: [4], type: 0, data: floatBytes([1.5, -2, 0.25, 1e-3])),
            TestTensor(name: "f16", dims: [5], type: 1,
                       data: [0x3C00, 0xC000, 0x3555, 0x0001, 0x7BFF].flatMap(halfBytes)),
            TestTensor(name: "bf16", dims: [2], type: 30, data: [0x3F80, 0xC040].flatMap(halfBytes)),
            TestTensor(name: "f64", dims: [2], type: 28,
                       data: [0.5, -4.0].flatMap { GGUFBuilder.u64(($0 as Double).bitPattern) }),
        ]
        let f = try open(b)
        XCTAssertEqual(try f.floats("f32"), [1.5, -2, 0.25, 1e-3])
        XCTAssertEqual(try f.floats("f16"), [1, -2, 0.333251953125, 0x1p-24, 65504])
        XCTAssertEqual(try f.floats("bf16"), [1, -3])
        XCTAssertEqual(try f.floats("f64"), [0.5, -4])
    }

    func testQ8_0() throws {
        // d = 0.5 (f16 0x3800), q_j = j - 16: value j = (j - 16) / 2.
        let block = halfBytes(0x3800) + (0..<32).map { (j: Int) -> UInt8 in UInt8(bitPattern: Int8(j - 16)) }
        let f = try open(single(TestTensor(name: "q", dims: [32], type: 8, data: block)))
        XCTAssertEqual(try f.floats("q"), (0..<32).map { (j: Int) -> Float in Float(j - 16) * 0.5 })
    }

    func testQ4_0LowNibblesFirstThenHighNibbles() throws {
        // Block 0: d = 2 (0x4000), byte j = j | (15 - j) << 4: element j = (j - 8) * 2, element 16 + j = (7 - j) * 2.
        // Block 1: d = -0.25 (0xB400), bytes all 0x9F: elements 0..15 = (15 - 8) * -0.25, 16..31 = (9 - 8) * -0.25.
        let block0 = halfBytes(0x4000) + (0..<16).map { (j: Int) -> UInt8 in UInt8(j) | (UInt8(15 - j) << 4) }
        let block1 = halfBytes(0xB400) + [UInt8](repeating: 0x9F, count: 16)
        let f = try open(single(TestTensor(name: "q", dims: [32, 2], type: 2, data: block0 + block1)))
        let low: [Float] = (0..<16).map { (j: Int) -> Float in Float(j - 8) * 2 }
        let high: [Float] = (0..<16).map { (j: Int) -> Float in Float(7 - j) * 2 }
        var expected = low + high
        expected += [Float](repeating: -1.75, count: 16) + [Float](repeating: -0.25, count: 16)
        XCTAssertEqual(try f.floats("q"), expected)
    }

    func testQ4_1() throws {
        // d = 0.25 (0x3400), m = -1 (0xBC00), byte j = j | (j % 3) << 4: element j = j / 4 - 1,
        // element 16 + j = (j % 3) / 4 - 1.
        let block = halfBytes(0x3400) + halfBytes(0xBC00) + (0..<16).map { (j: Int) -> UInt8 in UInt8(j) | (UInt8(j % 3) << 4) }
        let f = try open(single(TestTensor(name: "q", dims: [32], type: 3, data: block)))
        let low: [Float] = (0..<16).map { (j: Int) -> Float in Float(j) * 0.25 - 1 }
        let high: [Float] = (0..<16).map { (j: Int) -> Float in Float(j % 3) * 0.25 - 1 }
        let expected = low + high
        XCTAssertEqual(try f.floats("q"), expected)
    }

    func testQ8_K() throws {
        // d = 0.5 as f32, q_j = j - 128, then 16 int16 sums (ignored).
        let block = GGUFBuilder.u32(Float(0.5).bitPattern) + (0..<256).map { (j: Int) -> UInt8 in UInt8(bitPattern: Int8(j - 128)) }
            + [UInt8](repeating: 0, count: 32)
        let f = try open(single(TestTensor(name: "q", dims: [256], type: 15, data: block)))
        XCTAssertEqual(try f.floats("q"), (0..<256).map { (j: Int) -> Float in Float(j - 128) * 0.5 })
    }

    /// Two blocks of pseudo-random bytes per type (scales forced to f16 0x2E66 ≈ 0.1 and 0x2A66 / 0xAA66 ≈ ±0.05)
    /// checked against sums computed by gguf-py's numpy dequantizers (`gguf.quants.dequantize`, gguf 0.x):
    /// (sum of values, sum of index × value, value at index count / 2 + 7).
    func testQuantizedTypesAgainstGGUFPyReference() throws {
        let cases: [(name: String, type: UInt32, blockBytes: Int, blockSize: Int, halves: [(Int, UInt16)],
                     sum: Double, weighted: Double, probe: Double)] = [
            ("q4_0", 2, 18, 32, [(0, 0x2E66)], -3.9990234375, -173.0577392578125, -0.6998291015625),
            ("q4_1", 3, 20, 32, [(0, 0x2E66), (2, 0xAA66)], 43.389404296875, 1301.2822265625, 0.74981689453125),
            ("q5_0", 6, 22, 32, [(0, 0x2E66)], -4.2989501953125, -323.12109375, 0.7998046875),
            ("q5_1", 7, 24, 32, [(0, 0x2E66), (2, 0xAA66)], 93.2772216796875, 2750.12841796875, 0.04998779296875),
            ("q8_0", 8, 34, 32, [(0, 0x2E66)], 16.0960693359375, -923.574462890625, 1.399658203125),
            ("q2_K", 10, 84, 256, [(80, 0x2E66), (82, 0x2A66)], 302.926025390625, 79818.20837402344, 3.6990966796875),
            ("q3_K", 11, 110, 256, [(108, 0x2E66)], -54.2867431640625, 3359.8795166015625, -1.19970703125),
            ("q4_K", 12, 144, 256, [(0, 0x2E66), (2, 0x2A66)], 11615.763427734375, 3233112.2731933594,
             5.84857177734375),
            ("q5_K", 13, 176, 256, [(0, 0x2E66), (2, 0x2A66)], 21202.622314453125, 5413766.556884766,
             54.986572265625),
            ("q6_K", 14, 210, 256, [(208, 0x2E66)], 7902.3702392578125, 2169017.325439453, -102.2750244140625),
        ]
        for c in cases {
            var data = lcgBytes(2 * c.blockBytes, seed: 12345)
            for block in 0..<2 {
                for (offset, bits) in c.halves {
                    data.replaceSubrange((block * c.blockBytes + offset)..<(block * c.blockBytes + offset + 2),
                                         with: halfBytes(bits))
                }
            }
            let f = try open(single(TestTensor(name: c.name, dims: [Int64(2 * c.blockSize)], type: c.type, data: data)))
            let values = try f.floats(c.name).map(Double.init)
            XCTAssertEqual(values.count, 2 * c.blockSize, c.name)
            let sum = values.reduce(0, +)
            let weighted = values.enumerated().reduce(0) { $0 + Double($1.offset) * $1.element }
            XCTAssertEqual(sum, c.sum, accuracy: 1e-5 * max(1, abs(c.sum)), c.name)
            XCTAssertEqual(weighted, c.weighted, accuracy: 1e-5 * max(1, abs(c.weighted)), c.name)
            XCTAssertEqual(values[values.count / 2 + 7], c.probe, accuracy: 1e-6 * max(1, abs(c.probe)), c.name)
        }
    }

    func testLargeTensorIsDequantizedInParallelLikeSequentially() throws {
        // 8192 Q4_0 blocks (more than the threading threshold); block b has d = b % 4 + 1 and bytes 0x5A:
        // elements 0..15 = (10 - 8) * d, elements 16..31 = (5 - 8) * d.
        let scales: [UInt16] = [0x3C00, 0x4000, 0x4200, 0x4400]
        var data: [UInt8] = []
        for b in 0..<8192 { data += halfBytes(scales[b % 4]) + [UInt8](repeating: 0x5A, count: 16) }
        let f = try open(single(TestTensor(name: "big", dims: [256, 1024], type: 2, data: data)))
        var values = [Float](repeating: .nan, count: 8192 * 32)
        try values.withUnsafeMutableBufferPointer { try f.read("big", into: $0.baseAddress!, count: $0.count) }
        for b in 0..<8192 {
            let d = Float(b % 4 + 1)
            for j in 0..<32 where values[b * 32 + j] != (j < 16 ? 2 * d : -3 * d) {
                return XCTFail("block \(b) element \(j) is \(values[b * 32 + j])")
            }
        }
    }

    func testReadArgumentsAreChecked() throws {
        let f = try open(single(TestTensor(name: "v", dims: [2], type: 0, data: floatBytes([1, 2]))))
        var buffer = [Float](repeating: 0, count: 3)
        XCTAssertThrowsError(try buffer.withUnsafeMutableBufferPointer { try f.read("v", into: $0.baseAddress!, count: 3) }) {
            XCTAssertEqual($0 as? EngineError, .invalidArgument("tensor v has 2 elements, 3 requested"))
        }
        XCTAssertThrowsError(try f.floats("missing")) { XCTAssertEqual($0 as? EngineError, .missingTensor("missing")) }
    }

    // MARK: The real model (optional asset)

    func testSmolLM2Q4_1() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let url = root.appendingPathComponent(".cache/assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("optional asset absent: run `scripts/fetch-assets.sh smollm2`")
        }
        let f = try GGUFFile(url: url)
        XCTAssertEqual(f.version, 3)
        XCTAssertEqual(f.metadata["general.architecture"]?.string, "llama")
        XCTAssertEqual(f.metadata["llama.block_count"]?.int, 30)
        XCTAssertEqual(f.metadata["llama.embedding_length"]?.int, 576)
        XCTAssertEqual(f.metadata["tokenizer.ggml.model"]?.string, "gpt2")
        XCTAssertEqual(f.metadata["tokenizer.ggml.tokens"]?.strings?.count, 49152)
        XCTAssertEqual(f.metadata["tokenizer.ggml.merges"]?.strings?.count, 48900)
        XCTAssertEqual(f.tensors.count, 272)

        // Reference figures from gguf-py's dequantizers on the same file.
        let embedding = try XCTUnwrap(f.tensor("token_embd.weight"))
        XCTAssertEqual(embedding.type, .q8_0)
        XCTAssertEqual(embedding.dimensions, [576, 49152])
        let e = try f.floats("token_embd.weight")
        XCTAssertTrue(e.allSatisfy(\.isFinite))
        XCTAssertEqual(e[0..<576].reduce(0.0) { $0 + Double($1) }, -2.2541093826293945, accuracy: 1e-5)
        XCTAssertEqual(e.reduce(0.0) { $0 + Double($1) }, -15353.04449415207, accuracy: 1e-2)
        XCTAssertEqual(e[1000], 0.007411956787109375)

        let q = try XCTUnwrap(f.tensor("blk.0.attn_q.weight"))
        XCTAssertEqual(q.type, .q4_1)
        let qv = try f.floats("blk.0.attn_q.weight")
        XCTAssertEqual(qv[0..<576].reduce(0.0) { $0 + Double($1) }, 1.00726318359375, accuracy: 1e-5)
        XCTAssertEqual(qv.reduce(0.0) { $0 + Double($1) }, 59.22322082519531, accuracy: 1e-3)
        XCTAssertEqual(qv[1000], -0.138427734375)
        let norm = try f.floats("output_norm.weight")
        XCTAssertEqual(norm.reduce(0.0) { $0 + Double($1) }, 1038.33203125, accuracy: 1e-3)
    }
}
