import Crypto
import Foundation

/// Signs webhook bodies the Standard Webhooks way: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
///
/// A secret that starts with `whsec_` is base64 after the prefix (the Standard Webhooks form); any other secret is
/// used as its UTF-8 bytes.
public struct WebhookSigner: Sendable {
    let key: SymmetricKey

    public init(secret: String) {
        if secret.hasPrefix("whsec_"), let bytes = Data(base64Encoded: String(secret.dropFirst(6))) {
            key = SymmetricKey(data: bytes)
        } else {
            key = SymmetricKey(data: Data(secret.utf8))
        }
    }

    public func signature(id: String, timestamp: Int, body: Data) -> String {
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: key)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The headers of one delivery.
    public func headers(id: String, timestamp: Int, body: Data) -> [String: String] {
        ["webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature(id: id, timestamp: timestamp, body: body),
         "content-type": "application/json"]
    }
}
