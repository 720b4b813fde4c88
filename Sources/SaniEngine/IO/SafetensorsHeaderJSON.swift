import Foundation

/// A problem found while decoding a safetensors header; turned into `EngineError.malformedFile` by the parser.
struct SafetensorsHeaderProblem: Error {
    let reason: String
}

/// A coding key for arbitrary JSON object keys.
struct SafetensorsCodingKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

/// One tensor entry exactly as written in the header JSON, checked only for JSON types.
struct SafetensorsRawEntry {
    let name: String
    let dtype: String
    let shape: [Int]
    let begin: Int
    let end: Int
}

/// The header JSON decoded with precise messages for every kind of type error. Semantic checks (dtype names,
/// sizes, offsets) are done by `SafetensorsHeader`.
struct SafetensorsRawHeader: Decodable {
    private(set) var metadata: [String: String] = [:]
    private(set) var entries: [SafetensorsRawEntry] = []

    static let metadataKey = "__metadata__"

    init(from decoder: Decoder) throws {
        let container: KeyedDecodingContainer<SafetensorsCodingKey>
        do {
            container = try decoder.container(keyedBy: SafetensorsCodingKey.self)
        } catch {
            throw SafetensorsHeaderProblem(reason: "header JSON is not an object")
        }
        for key in container.allKeys {
            if key.stringValue == Self.metadataKey {
                do {
                    metadata = try container.decode([String: String].self, forKey: key)
                } catch {
                    throw SafetensorsHeaderProblem(
                        reason: "\"__metadata__\" must be an object whose values are all strings")
                }
            } else {
                entries.append(try Self.decodeEntry(named: key.stringValue, in: container, key: key))
            }
        }
    }

    private static func decodeEntry(named name: String, in container: KeyedDecodingContainer<SafetensorsCodingKey>,
                                    key: SafetensorsCodingKey) throws -> SafetensorsRawEntry {
        let fields: KeyedDecodingContainer<SafetensorsCodingKey>
        do {
            fields = try container.nestedContainer(keyedBy: SafetensorsCodingKey.self, forKey: key)
        } catch {
            throw SafetensorsHeaderProblem(reason: "tensor \"\(name)\": entry is not a JSON object")
        }
        let dtypeKey = SafetensorsCodingKey(stringValue: "dtype")
        let shapeKey = SafetensorsCodingKey(stringValue: "shape")
        let offsetsKey = SafetensorsCodingKey(stringValue: "data_offsets")
        for required in [dtypeKey, shapeKey, offsetsKey] where !fields.contains(required) {
            throw SafetensorsHeaderProblem(reason: "tensor \"\(name)\": missing \"\(required.stringValue)\"")
        }
        let dtype: String
        do {
            dtype = try fields.decode(String.self, forKey: dtypeKey)
        } catch {
            throw SafetensorsHeaderProblem(reason: "tensor \"\(name)\": \"dtype\" is not a string")
        }
        let shape = try decodeIntegers(fields, key: shapeKey, tensor: name)
        for (index, dim) in shape.enumerated() where dim < 0 {
            throw SafetensorsHeaderProblem(
                reason: "tensor \"\(name)\": shape dimension \(index) is negative (\(dim))")
        }
        let offsets = try decodeIntegers(fields, key: offsetsKey, tensor: name)
        guard offsets.count == 2 else {
            throw SafetensorsHeaderProblem(
                reason: "tensor \"\(name)\": \"data_offsets\" must be [begin, end], found \(offsets.count) numbers")
        }
        guard offsets[0] >= 0, offsets[1] >= 0 else {
            throw SafetensorsHeaderProblem(reason: "tensor \"\(name)\": \"data_offsets\" \(offsets) are negative")
        }
        guard offsets[0] <= offsets[1] else {
            throw SafetensorsHeaderProblem(
                reason: "tensor \"\(name)\": \"data_offsets\" begin \(offsets[0]) is after end \(offsets[1])")
        }
        return SafetensorsRawEntry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    /// Decodes a JSON array of integers, naming the first element that is not an integer.
    private static func decodeIntegers(_ fields: KeyedDecodingContainer<SafetensorsCodingKey>,
                                       key: SafetensorsCodingKey, tensor: String) throws -> [Int] {
        var array: UnkeyedDecodingContainer
        do {
            array = try fields.nestedUnkeyedContainer(forKey: key)
        } catch {
            throw SafetensorsHeaderProblem(reason: "tensor \"\(tensor)\": \"\(key.stringValue)\" is not an array")
        }
        var values: [Int] = []
        while !array.isAtEnd {
            let index = array.currentIndex
            do {
                values.append(try array.decode(Int.self))
            } catch {
                throw SafetensorsHeaderProblem(
                    reason: "tensor \"\(tensor)\": \"\(key.stringValue)\" element \(index) is not an integer "
                        + "(or does not fit in 64 bits)")
            }
        }
        return values
    }
}
