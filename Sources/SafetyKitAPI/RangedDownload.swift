// A result file download as a ByteSource in bounded memory. The file is asked for in pieces with
// HTTP Range requests, the next piece fetched while the current one is read, so at most two
// pieces are held whatever the file's size or the reader's pace. A piece that fails is retried;
// one refused as expired (403/410) mid-file asks for a fresh URL and goes on from the same byte.
// A server that ignores Range gets the whole body streamed in one response instead.

import Foundation
import ResultPipeline

/// Streams a result file from a (signed) URL.
public final class RangedDownload: ByteSource, @unchecked Sendable {
    // safe to send: used by one reader at a time.
    private var url: URL
    private let pieceSize: Int
    private let retry: RetryPolicy
    private let clock: APIClock
    private let refresh: (() throws -> URL)?
    /// nil while the size is unknown (a server that ignored Range).
    private(set) var total: Int64?
    private var offset: Int64 = 0
    private var current: HTTPResponseStream?
    private var currentRemaining: Int64 = 0
    private var next: HTTPResponseStream?
    private var log: (@Sendable (String) -> Void)?
    /// Consecutive pieces that broke off before their end.
    private var brokenPieces = 0

    /// The URL with its query redacted.
    public var displayURL: String { redactURL(url.absoluteString) }

    /// Opens the download. `refresh` is asked for a new URL when the current one is refused as
    /// expired; it throws when no more fresh URLs may be had.
    public init(url: URL, pieceSize: Int = 8 << 20, retry: RetryPolicy = RetryPolicy(), clock: APIClock = .system,
                log: (@Sendable (String) -> Void)? = nil, refresh: (() throws -> URL)? = nil) throws {
        precondition(pieceSize > 0)
        self.url = url
        self.pieceSize = pieceSize
        self.retry = retry
        self.clock = clock
        self.refresh = refresh
        self.log = log
        let first = try fetch(from: 0)
        if first.statusCode == 200 {
            // Range ignored: the whole body comes in this one response.
            current = first
            currentRemaining = Int64.max
        } else if first.statusCode == 416 {
            total = 0
            try? first.close()
        } else {
            current = first
            currentRemaining = expectedLength(from: 0)
        }
    }

    /// GETs the piece at `start`, retrying transient failures and refreshing a refused URL.
    private func fetch(from start: Int64) throws -> HTTPResponseStream {
        var attempt = 0
        while true {
            attempt += 1
            let end = start + Int64(pieceSize) - 1
            let headers = ["Range": "bytes=\(start)-\(end)", "Accept-Encoding": "identity"]
            let stream: HTTPResponseStream
            do {
                stream = try HTTPResponseStream(url: url, headers: headers)
            } catch {
                guard attempt < retry.maxAttempts else {
                    throw APIError(.gaveUp, message: "download of \(displayURL) failed at byte \(start) after \(attempt) attempts: \(error)")
                }
                retry.pause(afterAttempt: attempt, clock: clock, log: log, "download failed at byte \(start) (\(error))")
                continue
            }
            let code = stream.statusCode
            if code == 206 {
                if total == nil, let range = stream.header("Content-Range"),
                   let slash = range.lastIndex(of: "/"), let size = Int64(range[range.index(after: slash)...]) {
                    total = size
                }
                return stream
            }
            if code == 200 && start == 0 { return stream }
            if code == 416 { return stream }  // past the end: the caller ends the file there
            let body = (try? stream.readAll()) ?? []
            try? stream.close()
            if code == 403 || code == 410 {
                guard let refresh else {
                    throw APIError(.staleURL, statusCode: code, message: "the download URL was refused (\(code)); it has probably expired")
                }
                url = try refresh()
                continue
            }
            if RetryPolicy.isRetryable(code) && attempt < retry.maxAttempts {
                retry.pause(afterAttempt: attempt, clock: clock, log: log, "download answered \(code) at byte \(start)")
                continue
            }
            throw APIError(.http, statusCode: code,
                           message: "download of \(displayURL) answered HTTP \(code) at byte \(start): \(APIError.bodyPrefix(body))")
        }
    }

    private func expectedLength(from start: Int64) -> Int64 {
        guard let total else { return Int64(pieceSize) }
        return min(Int64(pieceSize), total - start)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            guard let stream = current else { return 0 }
            if next == nil, let total, offset + currentRemaining < total, currentRemaining != .max {
                next = try fetch(from: offset + currentRemaining)
            }
            let n: Int
            do {
                n = try stream.read(into: buffer)
            } catch where currentRemaining != .max && total != nil {
                // The connection broke mid-piece: ask again from the byte reached.
                try resume(after: error)
                continue
            }
            brokenPieces = 0
            if n > 0 {
                offset += Int64(n)
                if currentRemaining != .max { currentRemaining -= Int64(n) }
                if currentRemaining < 0 {
                    throw APIError(.malformed, message: "the server sent more than the requested range of \(displayURL)")
                }
                return n
            }
            try? stream.close()
            if currentRemaining == .max { current = nil; return 0 }  // whole-body response finished
            if total == nil {
                // A server that did not say the file's size: a short piece, or a 416 for the
                // next one, is the end.
                if currentRemaining > 0 { current = nil; return 0 }
                let following = try fetch(from: offset)
                if following.statusCode == 416 {
                    try? following.close()
                    current = nil
                    return 0
                }
                current = following
                currentRemaining = Int64(pieceSize)
                continue
            }
            if currentRemaining > 0 {
                throw APIError(.gaveUp, message: "download of \(displayURL) ended early at byte \(offset) of \(total.map(String.init) ?? "?")")
            }
            guard let total, offset < total else { current = nil; return 0 }
            current = try next ?? fetch(from: offset)
            next = nil
            currentRemaining = expectedLength(from: offset)
        }
    }

    /// Re-requests the rest of the file from `offset` after a broken piece, with backoff.
    private func resume(after error: any Error) throws {
        brokenPieces += 1
        guard brokenPieces < retry.maxAttempts else {
            throw APIError(.gaveUp, message: "download of \(displayURL) broke off at byte \(offset) \(brokenPieces) times: \(error)")
        }
        try? current?.close()
        try? next?.close()
        next = nil
        retry.pause(afterAttempt: brokenPieces, clock: clock, log: log, "download broke off at byte \(offset) (\(error))")
        current = try fetch(from: offset)
        currentRemaining = expectedLength(from: offset)
    }

    public func close() throws {
        try? current?.close()
        try? next?.close()
        current = nil
        next = nil
    }
}
