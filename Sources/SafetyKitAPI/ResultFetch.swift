// Turns a succeeded request into a pipeline input: inline `data` as JSONL bytes, or the result
// file streamed from `data_url`, re-polling for a fresh URL (at most twice) when the one in hand
// has expired or is refused.

import Foundation
import ResultPipeline

/// The results of one succeeded request, ready to be read once.
public final class ResultFetch: @unchecked Sendable {
    // safe to send: used by the pipeline's reader only, one call at a time.
    private let client: SafetyKitClient
    private let namespace: String
    private let request: String
    public private(set) var status: RequestStatus
    /// Fresh URLs asked for because the previous one was stale.
    public private(set) var refreshes = 0
    public let maxRefreshes: Int
    /// Called with a line for each refresh, for the CLI's stderr.
    public var log: (@Sendable (String) -> Void)?

    public init(client: SafetyKitClient, namespace: String, request: String, status: RequestStatus, maxRefreshes: Int = 2) {
        self.client = client
        self.namespace = namespace
        self.request = request
        self.status = status
        self.maxRefreshes = maxRefreshes
    }

    /// How many result objects the API says the file holds (imports only).
    public var expectedCount: Int? { status.dataURL != nil ? status.dataCount : nil }

    /// Whether results come from a download rather than inline.
    public var isDownload: Bool { status.dataURL != nil }

    /// The input to run: named after the redacted URL, or `inline data`.
    public func input(wrap: @escaping @Sendable (any ByteSource) -> any ByteSource = { $0 }) -> Input {
        if !isDownload {
            var bytes: [UInt8] = []
            for element in status.inlineData {
                bytes.append(contentsOf: element)
                bytes.append(0x0A)
            }
            let copy = bytes
            return Input(name: "inline data") { wrap(MemorySource(copy)) }
        }
        return Input(name: redactURL(status.dataURL ?? "")) { [self] in wrap(try openFresh()) }
    }

    /// Opens the download; an expired or refused URL is replaced, at most `maxRefreshes` times in all.
    private func openFresh() throws -> any ByteSource {
        if let expiry = status.dataExpiresAt, expiry <= client.clock.now() {
            try refreshURL(because: "expired at \(status.dataExpiresAtText ?? "?")")
        }
        guard let url = status.dataURL else {
            throw APIError(.staleURL, message: "the API gave no data_url for request \(request)")
        }
        return try client.openDownload(url) { [self] in
            try refreshURL(because: "was refused")
            return status.dataURL ?? ""
        }
    }

    /// Asks for a fresh download URL.
    private func refreshURL(because why: String) throws {
        guard refreshes < maxRefreshes else {
            throw APIError(.staleURL, message: "the download URL \(why), and \(refreshes) fresh URLs did not help")
        }
        refreshes += 1
        log?("the download URL \(why); asking for a fresh one (\(refreshes) of \(maxRefreshes))")
        // Re-poll the status; when that answer carries no URL, ask the download-url endpoint.
        var fresh = try client.status(namespace: namespace, request: request)
        if fresh.dataURL == nil { fresh = try client.downloadURL(namespace: namespace, request: request) }
        guard fresh.dataURL != nil else {
            throw APIError(.staleURL, message: "no fresh data_url was given for request \(request)")
        }
        status = fresh
    }
}
