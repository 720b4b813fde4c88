import Foundation

/// Writes safetensors files of `F32` tensors.
public enum SafetensorsWriter {
    /// A tensor to write: its name, shape and `Float` values in row-major order. The values are only read during
    /// `write`, so the buffer need only be valid for that call.
    public struct Tensor {
        public let name: String
        public let shape: [Int]
        public let data: UnsafeBufferPointer<Float>

        public init(name: String, shape: [Int], data: UnsafeBufferPointer<Float>) {
            self.name = name
            self.shape = shape
            self.data = data
        }
    }

    /// Writes `tensors` as `F32`, with data offsets in the order given, and `metadata` as the header's
    /// `"__metadata__"` (e.g. `["format": "pt"]`, which `transformers` expects; omitted when empty). The header
    /// is padded with spaces so that the data section starts at a multiple of 8 bytes.
    ///
    /// The file is written to a temporary file in the same folder, flushed and renamed into place, so `url`
    /// either keeps its old content or holds the complete new file. Tensor bytes are streamed from the given
    /// buffers; nothing is copied.
    /// - Throws: `EngineError.invalidArgument` for an empty or duplicate name, a negative dimension or a shape
    ///   whose element count differs from the data; `EngineError.io` when writing fails.
    public static func write(_ tensors: [Tensor], metadata: [String: String], to url: URL) throws {
        let header = try headerBytes(tensors, metadata: metadata)
        let file = try AtomicFileWriter(destination: url)
        try file.write(header)
        for tensor in tensors {
            try file.write(UnsafeRawBufferPointer(tensor.data))
        }
        try file.commit()
    }

    /// The length prefix and the padded JSON header.
    static func headerBytes(_ tensors: [Tensor], metadata: [String: String]) throws -> [UInt8] {
        var json = "{"
        var first = true
        func separator() {
            if !first { json += "," }
            first = false
        }
        if !metadata.isEmpty {
            separator()
            json += jsonString(SafetensorsRawHeader.metadataKey) + ":{"
            json += metadata.sorted { $0.key < $1.key }
                .map { jsonString($0.key) + ":" + jsonString($0.value) }
                .joined(separator: ",")
            json += "}"
        }
        var seen = Set<String>()
        var offset = 0
        for tensor in tensors {
            try validate(tensor, seen: &seen)
            let end = offset + tensor.data.count * MemoryLayout<Float>.size
            separator()
            json += jsonString(tensor.name) + ":{\"dtype\":\"F32\",\"shape\":["
            json += tensor.shape.map(String.init).joined(separator: ",")
            json += "],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"
        var bytes = Array(json.utf8)
        let padding = (8 - bytes.count % 8) % 8
        bytes += [UInt8](repeating: 0x20, count: padding)
        var prefix = UInt64(bytes.count).littleEndian
        return withUnsafeBytes(of: &prefix) { Array($0) } + bytes
    }

    private static func validate(_ tensor: Tensor, seen: inout Set<String>) throws {
        guard !tensor.name.isEmpty, tensor.name != SafetensorsRawHeader.metadataKey else {
            throw EngineError.invalidArgument("safetensors tensor name \"\(tensor.name)\" is not allowed")
        }
        guard seen.insert(tensor.name).inserted else {
            throw EngineError.invalidArgument("safetensors tensor \"\(tensor.name)\" is given twice")
        }
        var elements = 1
        for dim in tensor.shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard dim >= 0, !overflow else {
                throw EngineError.invalidArgument("tensor \"\(tensor.name)\" has invalid shape \(tensor.shape)")
            }
            elements = product
        }
        guard elements == tensor.data.count else {
            throw EngineError.invalidArgument("tensor \"\(tensor.name)\" has shape \(tensor.shape) "
                + "(\(elements) elements) but \(tensor.data.count) values")
        }
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
