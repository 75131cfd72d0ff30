// Everything that can end a conversation with the API, each with a message that says what to check.

import Foundation

/// A failure talking to SafetyKit.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// 401: the key was refused.
        case unauthorized
        /// 403 from the API: the key may not read this namespace or request.
        case forbidden
        /// 404: no such namespace or request.
        case notFound
        /// An answer that is not the JSON the API documents.
        case malformed
        /// Transient failures went on past the retry limit.
        case gaveUp
        /// Another HTTP status.
        case http
        /// The download URL expired (403/410, or past `data_expires_at`) and no fresh one came.
        case staleURL
        /// The request did not reach a terminal status in time.
        case timedOut
    }

    public var kind: Kind
    public var statusCode: Int?
    public var message: String

    public init(_ kind: Kind, statusCode: Int? = nil, message: String) {
        self.kind = kind
        self.statusCode = statusCode
        self.message = redactURLs(in: message)
    }

    public var description: String { message }

    /// The first bytes of a body, for error messages.
    static func bodyPrefix(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return body.count > 200 ? text + "…" : text
    }
}
