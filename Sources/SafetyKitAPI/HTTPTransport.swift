// Plain HTTP GETs over URLSession, made synchronous for the command line: one request, its status,
// headers and whole body. Bodies here are small API answers; result files stream instead
// (`HTTPBodySource`).

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A complete HTTP answer.
struct HTTPAnswer {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
}

/// A network-level failure (no HTTP answer at all); always worth retrying.
struct TransportError: Error, CustomStringConvertible {
    var underlying: String
    var description: String { underlying }
}

final class HTTPTransport: @unchecked Sendable {
    // safe to send: URLSession is thread-safe; nothing else is stored.
    let session: URLSession

    init(timeout: Double = 60) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    func get(_ url: URL, headers: [String: String]) throws -> HTTPAnswer {
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        final class Box: @unchecked Sendable {
            // safe to send: written once before `done.signal()`, read after `done.wait()`.
            var answer: HTTPAnswer?
            var error: (any Error)?
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (k, v) in http.allHeaderFields { fields[String(describing: k)] = String(describing: v) }
                box.answer = HTTPAnswer(status: http.statusCode, headers: fields, body: data.map { Array($0) } ?? [])
            } else {
                box.error = TransportError(underlying: error.map { $0.localizedDescription } ?? "no HTTP response")
            }
            done.signal()
        }
        task.resume()
        done.wait()
        if let answer = box.answer { return answer }
        throw box.error ?? TransportError(underlying: "no HTTP response")
    }
}
