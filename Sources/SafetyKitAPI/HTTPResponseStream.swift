// One HTTP response whose body is a ByteSource: bytes arrive from URLSession's delegate into a
// queue and the reader takes them as they come. URLSession on Linux cannot pause a running task
// (suspending it aborts the transfer), so this queue is bounded only by the size of what is asked
// for: `RangedDownload` asks for one piece at a time.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ResultPipeline

/// Streams one HTTP GET body.
final class HTTPResponseStream: NSObject, ByteSource, URLSessionDataDelegate, @unchecked Sendable {
    // safe to send: every mutable field is guarded by `condition`.
    private let condition = NSCondition()
    private var pieces: [Data] = []
    private var pieceOffset = 0
    private var finished = false
    private var failure: (any Error)?
    private var response: HTTPURLResponse?
    private var session: URLSession!
    private var task: URLSessionDataTask!
    /// The URL with its query redacted, for messages.
    let displayURL: String
    /// Body bytes handed to the reader so far.
    private(set) var bytesRead = 0

    /// Starts the GET and waits for the response head. Check `statusCode` before reading.
    init(url: URL, headers: [String: String] = [:], timeout: Double = 120) throws {
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
    var statusCode: Int { response?.statusCode ?? 0 }

    /// A response header, by case-insensitive name.
    func header(_ name: String) -> String? {
        guard let fields = response?.allHeaderFields else { return nil }
        for (key, value) in fields where String(describing: key).lowercased() == name.lowercased() {
            return String(describing: value)
        }
        return nil
    }

    /// Reads the whole (small) body: for error answers.
    func readAll(limit: Int = 1 << 16) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while out.count < limit {
            let n = try buffer.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
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
        bytesRead += n
        return n
    }

    func close() throws {
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
