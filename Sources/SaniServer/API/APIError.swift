import Foundation
import HTTPTypes
import Hummingbird

/// An error answered to the client as `{"error": {"code": ..., "message": ...}}` with its status.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status; self.code = code; self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    static func badRequest(_ message: String, code: String = "bad_request") -> APIError { .init(.badRequest, code, message) }
    static func notFound(_ what: String, _ id: String) -> APIError { .init(.notFound, "not_found", "no \(what) with id \(id)") }
    static func conflict(_ code: String, _ message: String) -> APIError { .init(.conflict, code, message) }
    static let unauthorized = APIError(.unauthorized, "unauthorized",
                                       "missing or invalid API key: send Authorization: Bearer <key>")
    static func tooLarge(limit: Int64) -> APIError {
        .init(.contentTooLarge, "too_large", "the upload exceeds the limit of \(ByteCount.format(limit)) (uploads.maxBytes)")
    }

    /// The JSON body of the error.
    var body: ByteBuffer {
        let payload = ErrorEnvelope(error: .init(code: code, message: message))
        let data = (try? APIJSON.encoder.encode(payload)) ?? Data("{\"error\":{\"code\":\"internal\",\"message\":\"\"}}".utf8)
        return ByteBuffer(bytes: data)
    }

    var response: Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { fields[.wwwAuthenticate] = "Bearer realm=\"sani\"" }
        return Response(status: status, headers: fields, body: .init(byteBuffer: body))
    }
}

struct ErrorEnvelope: Codable {
    struct Detail: Codable { var code: String; var message: String }
    var error: Detail
}
