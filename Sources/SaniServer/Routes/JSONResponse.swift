import HTTPTypes
import Foundation
import Hummingbird

/// JSON responses with the API's encoder (sorted keys, RFC 3339 dates).
enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        let data = try APIJSON.encoder.encode(value)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Query parameters shared by the list endpoints.
struct ListQuery {
    var limit: Int
    var cursor: Int64?

    init(_ request: Request, defaultLimit: Int = 50, maxLimit: Int = 200) throws {
        let q = request.uri.queryParameters
        if let text = q["limit"].map(String.init) {
            guard let v = Int(text), v >= 1, v <= maxLimit else {
                throw APIError.badRequest("limit must be an integer between 1 and \(maxLimit)", code: "invalid_parameter")
            }
            limit = v
        } else {
            limit = defaultLimit
        }
        if let text = q["cursor"].map(String.init) {
            guard let v = Int64(text), v >= 0 else {
                throw APIError.badRequest("cursor must be a value returned as nextCursor", code: "invalid_parameter")
            }
            cursor = v
        }
    }
}
