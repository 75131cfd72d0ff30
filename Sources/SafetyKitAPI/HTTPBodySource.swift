// A download whose body is a ByteSource: bytes arrive from URLSession's delegate into a small
// queue and the pipeline reads them as they come. When the queue passes its high-water mark the
// task is suspended, so a slow consumer never makes memory grow with the file.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ResultPipeline

/// Streams one HTTP GET body.
public final class HTTPBodySource: NSObject, ByteSource, URLSessionDataDelegate, @unchecked Sendable {
    // safe to send: every mutable field is guarded by `condition`.
    private let condition = NSCondition()
    private var pieces: [Data] = []
    private var pieceOffset = 0
    private var buffered = 0
    private var finished = false
    private var failure: (any Error)?
    private var response: HTTPURLResponse?
    private var suspended = false
    private var session: URLSession!
    private var task: URLSessionDataTask!
    private let highWater: Int
    private let lowWater: Int
    /// The URL with its query redacted, for messages.
    public let displayURL: String
    /// Body bytes handed to the reader so far.
    public private(set) var bytesRead = 0

    /// Starts the GET and waits for the response head. Check `statusCode` before reading.
    public init(url: URL, headers: [String: String] = [:], highWater: Int = 8 << 20, timeout: Double = 120) throws {
        self.highWater = highWater
        self.lowWater = highWater / 4
        self.displayURL = redactURL(url.absoluteString)
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
        var request = URLRequest(url: url)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        task = session.dataTask(with: request)
        task.resume()
        condition.lock()
        while response == nil && !finished { condition.wait() }
        let failed = response == nil ? failure : nil
        condition.unlock()
        if response == nil {
            session.invalidateAndCancel()
            throw TransportError(underlying: "\(displayURL): \(failed.map { $0.localizedDescription } ?? "no response")")
        }
    }

    /// The HTTP status of the response.
    public var statusCode: Int { response?.statusCode ?? 0 }

    /// Reads the whole (small) body: for error answers.
    public func readAll(limit: Int = 1 << 16) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while out.count < limit {
            let n = try buffer.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        condition.lock()
        defer { condition.unlock() }
        while pieces.isEmpty && !finished { condition.wait() }
        if pieces.isEmpty {
            if let failure {
                throw TransportError(underlying: "download from \(displayURL) failed after \(bytesRead) bytes: \(failure.localizedDescription)")
            }
            return 0
        }
        let piece = pieces[0]
        let n = min(buffer.count, piece.count - pieceOffset)
        piece.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + pieceOffset, byteCount: n)
        }
        pieceOffset += n
        if pieceOffset == piece.count {
            pieces.removeFirst()
            pieceOffset = 0
        }
        buffered -= n
        bytesRead += n
        if suspended && buffered <= lowWater {
            suspended = false
            task.resume()
        }
        return n
    }

    public func close() throws {
        session.invalidateAndCancel()
    }

    // MARK: URLSessionDataDelegate

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                           completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        condition.lock()
        self.response = response as? HTTPURLResponse
        condition.broadcast()
        condition.unlock()
        completionHandler(.allow)
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        condition.lock()
        pieces.append(data)
        buffered += data.count
        if buffered >= highWater && !suspended {
            suspended = true
            dataTask.suspend()
        }
        condition.broadcast()
        condition.unlock()
    }

    public func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }
}
