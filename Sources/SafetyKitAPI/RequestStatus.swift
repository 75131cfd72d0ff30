// What the status endpoints answer, decoded leniently: unknown fields are ignored, an unknown
// status value is kept as it is, and inline `data` keeps each result's exact bytes.

import Foundation
import ResultPipeline

/// The processing state of a request.
public enum RequestState: Equatable, Sendable, CustomStringConvertible {
    case queued, uploading, ingesting, succeeded, failed
    /// A value this client does not know yet; polling goes on.
    case other(String)

    public init(_ text: String) {
        switch text {
        case "queued": self = .queued
        case "uploading": self = .uploading
        case "ingesting": self = .ingesting
        case "succeeded": self = .succeeded
        case "failed": self = .failed
        default: self = .other(text)
        }
    }

    public var isTerminal: Bool { self == .succeeded || self == .failed }

    public var description: String {
        switch self {
        case .queued: return "queued"
        case .uploading: return "uploading"
        case .ingesting: return "ingesting"
        case .succeeded: return "succeeded"
        case .failed: return "failed"
        case .other(let s): return s
        }
    }
}

/// One answer of `GET /v1/data/{namespace}/requests/{requestId}` (or its `/results/download-url`).
public struct RequestStatus: Sendable {
    public var namespace: String?
    public var requestID: String?
    public var state: RequestState
    /// Inline results, each element's exact JSON bytes (add requests, once succeeded).
    public var inlineData: [[UInt8]]
    /// Whether the answer carried a `data` array at all.
    public var hasInlineData: Bool
    /// Where an import's JSONL result file can be downloaded (temporary, signed).
    public var dataURL: String?
    public var dataCount: Int?
    public var dataExpiresAt: Date?
    /// The raw `data_expires_at` text.
    public var dataExpiresAtText: String?
    public var errorSummary: String?

    /// Decodes an answer body; nil when it is not a JSON object with a string `status`.
    public static func decode(_ body: [UInt8]) -> RequestStatus? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let status = object["status"] as? String else { return nil }
        var result = RequestStatus(state: RequestState(status), inlineData: [], hasInlineData: false)
        result.namespace = object["namespace"] as? String
        result.requestID = object["request_id"] as? String
        result.dataURL = object["data_url"] as? String
        if let count = object["data_count"] as? Int, !(object["data_count"] is Bool) {
            result.dataCount = count
        }
        result.dataExpiresAtText = object["data_expires_at"] as? String
        result.dataExpiresAt = result.dataExpiresAtText.flatMap(RequestStatus.parseDate)
        result.errorSummary = object["error_summary"] as? String
        if object["data"] is [Any], let elements = RawJSON.arrayElements(ofMember: "data", in: body) {
            result.inlineData = elements.map { Array($0) }
            result.hasInlineData = true
        }
        return result
    }

    init(state: RequestState, inlineData: [[UInt8]], hasInlineData: Bool) {
        self.state = state
        self.inlineData = inlineData
        self.hasInlineData = hasInlineData
    }

    /// ISO 8601, with or without fractional seconds.
    static func parseDate(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = withFraction.date(from: text) { return d }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }
}

/// Hides the signature of a signed URL: everything after `?` becomes `?<redacted>`.
public func redactURL(_ text: String) -> String {
    guard let q = text.firstIndex(of: "?") else { return text }
    return String(text[..<q]) + "?<redacted>"
}

/// Redacts every URL with a query string inside `text`.
public func redactURLs(in text: String) -> String {
    var out = ""
    var rest = Substring(text)
    while let start = rest.range(of: "http") {
        out += rest[..<start.lowerBound]
        let tail = rest[start.lowerBound...]
        let end = tail.firstIndex(where: { $0 == " " || $0 == "\"" || $0 == "\n" || $0 == "'" || $0 == "," || $0 == ">" }) ?? tail.endIndex
        out += redactURL(String(tail[..<end]))
        rest = tail[end...]
    }
    return out + rest
}
