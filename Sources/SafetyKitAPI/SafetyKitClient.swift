// The SafetyKit request API: status calls with retries, spacing and the switch to the
// download-url endpoint when results are too large to inline, and result downloads.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Talks to `GET /v1/data/{namespace}/requests/{requestId}` and its download-url endpoint.
public final class SafetyKitClient: @unchecked Sendable {
    // safe to send: `lastStatusCall` is guarded by `lock`; the rest is immutable.
    public static let defaultBaseURL = "https://api.safetykit.com"

    public let baseURL: URL
    private let apiKey: String
    public let retry: RetryPolicy
    public let clock: APIClock
    private let transport: HTTPTransport
    private let lock = NSLock()
    private var lastStatusCall: Date?
    /// Called with a line for each retry, for the CLI's stderr.
    public var log: (@Sendable (String) -> Void)?

    public init(baseURL: URL, apiKey: String, retry: RetryPolicy = RetryPolicy(), clock: APIClock = .system) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.retry = retry
        self.clock = clock
        self.transport = HTTPTransport()
    }

    private func endpoint(_ namespace: String, _ request: String, suffix: String = "") -> URL {
        let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))
        let ns = namespace.addingPercentEncoding(withAllowedCharacters: allowed) ?? namespace
        let id = request.addingPercentEncoding(withAllowedCharacters: allowed) ?? request
        // Built as text: appendPathComponent would percent-encode the already encoded parts again.
        let text = baseURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            + "/v1/data/\(ns)/requests/\(id)" + (suffix.isEmpty ? "" : "/\(suffix)")
        return URL(string: text) ?? baseURL
    }

    /// One status call (retried when transient). When the answer says the results are too large
    /// to inline, asks the download-url endpoint instead.
    public func status(namespace: String, request: String) throws -> RequestStatus {
        do {
            return try call(endpoint(namespace, request), what: "status")
        } catch let error as TooLargeForInline {
            log?("results are too large to inline (\(error.statusCode)); asking the download-url endpoint")
            return try downloadURL(namespace: namespace, request: request)
        }
    }

    /// `GET …/results/download-url`.
    public func downloadURL(namespace: String, request: String) throws -> RequestStatus {
        try call(endpoint(namespace, request, suffix: "results/download-url"), what: "download-url")
    }

    /// Opens a result download in bounded memory. A 403 or 410 (an expired signature) asks
    /// `refresh` for a fresh URL, or throws `.staleURL` without one.
    public func openDownload(_ url: String, refresh: (() throws -> String)? = nil) throws -> RangedDownload {
        guard let parsed = URL(string: url) else {
            throw APIError(.malformed, message: "data_url is not a URL: \(url)")
        }
        let fresh: (() throws -> URL)? = refresh.map { refresh in
            {
                let text = try refresh()
                guard let next = URL(string: text) else { throw APIError(.malformed, message: "data_url is not a URL: \(text)") }
                return next
            }
        }
        return try RangedDownload(url: parsed, retry: retry, clock: clock, log: log, refresh: fresh)
    }

    struct TooLargeForInline: Error { var statusCode: Int }

    private func call(_ url: URL, what: String) throws -> RequestStatus {
        let headers = ["Authorization": "Bearer \(apiKey)", "Accept": "application/json",
                       "User-Agent": "skresults/0.1"]
        var attempt = 0
        while true {
            attempt += 1
            waitForSpacing()
            let answer: HTTPAnswer
            do {
                answer = try transport.get(url, headers: headers)
            } catch {
                guard attempt < retry.maxAttempts else {
                    throw APIError(.gaveUp, message: "gave up on the \(what) call after \(attempt) attempts: \(error)")
                }
                retry.pause(afterAttempt: attempt, clock: clock, log: log, "\(what) call failed (\(error))")
                continue
            }
            let code = answer.status
            if (200..<300).contains(code) {
                guard let status = RequestStatus.decode(answer.body) else {
                    throw APIError(.malformed, statusCode: code,
                                   message: "the \(what) answer (HTTP \(code)) is not the documented JSON: \(APIError.bodyPrefix(answer.body))")
                }
                return status
            }
            switch code {
            case 401:
                throw APIError(.unauthorized, statusCode: code,
                               message: "the API refused the key (401): check SAFETYKIT_API_KEY or --api-key-file")
            case 403:
                throw APIError(.forbidden, statusCode: code,
                               message: "the key may not read this request (403): check the key's access to the namespace")
            case 404:
                throw APIError(.notFound, statusCode: code,
                               message: "no such request (404): check --namespace, --request and --base-url")
            default:
                break
            }
            if what == "status" && !RetryPolicy.isRetryable(code) && SafetyKitClient.pointsToDownloadURL(code, answer.body) {
                throw TooLargeForInline(statusCode: code)
            }
            if RetryPolicy.isRetryable(code) {
                guard attempt < retry.maxAttempts else {
                    throw APIError(.gaveUp, statusCode: code,
                                   message: "gave up on the \(what) call after \(attempt) attempts; last answer HTTP \(code): \(APIError.bodyPrefix(answer.body))")
                }
                retry.pause(afterAttempt: attempt, requested: retry.requestedDelay(answer.headers, now: clock.now()),
                            clock: clock, log: log, "\(what) call answered \(code)")
                continue
            }
            throw APIError(.http, statusCode: code,
                           message: "the \(what) call answered HTTP \(code): \(APIError.bodyPrefix(answer.body))")
        }
    }

    /// Whether an error answer of the status endpoint says the results are too large to inline:
    /// 413, or a body that points to the download-url endpoint or speaks of the size limit.
    static func pointsToDownloadURL(_ code: Int, _ body: [UInt8]) -> Bool {
        if code == 413 { return true }
        let text = String(decoding: body.prefix(4096), as: UTF8.self).lowercased()
        return text.contains("download-url") || text.contains("download_url") || text.contains("too large")
            || text.contains("5 mib") || text.contains("5mib") || text.contains("5 mb")
    }

    /// Keeps status calls at least `retry.minimumSpacing` apart.
    private func waitForSpacing() {
        lock.lock()
        let last = lastStatusCall
        lock.unlock()
        if let last {
            let gap = clock.now().timeIntervalSince(last)
            if gap < retry.minimumSpacing { clock.sleep(retry.minimumSpacing - gap) }
        }
        lock.lock()
        lastStatusCall = clock.now()
        lock.unlock()
    }
}
