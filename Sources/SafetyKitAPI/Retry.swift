// When to try again: which failures are transient, how long to wait (capped exponential backoff
// with jitter, or what the server asks for in Retry-After / retry-after-ms), and when to stop.

import Foundation

/// How the client retries transient failures and spaces its calls.
public struct RetryPolicy: Sendable {
    /// Attempts per call, the first included.
    public var maxAttempts = 6
    /// The first backoff delay, in seconds; it doubles per attempt.
    public var baseDelay = 1.0
    /// No backoff delay is longer than this.
    public var maxDelay = 30.0
    /// A server's Retry-After is honoured up to this many seconds.
    public var maxRetryAfter = 300.0
    /// Calls to the status endpoints are at least this far apart (3 s per the API's guidance).
    public var minimumSpacing = 3.0

    public init() {}

    static let retryableStatuses: Set<Int> = [408, 409, 429]

    static func isRetryable(_ status: Int) -> Bool {
        retryableStatuses.contains(status) || (500..<600).contains(status)
    }

    /// The delay before attempt `attempt + 1`, after `attempt` failures.
    func backoff(afterAttempt attempt: Int, random: () -> Double) -> Double {
        let exponential = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return exponential * (0.5 + 0.5 * random())
    }

    /// Waits before the next attempt, for the delay the server asked for or else the backoff
    /// after `attempt` failures, and logs why.
    func pause(afterAttempt attempt: Int, requested: Double? = nil, clock: APIClock,
               log: (@Sendable (String) -> Void)?, _ why: String) {
        let delay = requested ?? backoff(afterAttempt: attempt, random: clock.random)
        log?("\(why); retrying in \(String(format: "%.1f", delay)) s")
        clock.sleep(delay)
    }

    /// The delay a response asks for, from `retry-after-ms` or `Retry-After` (seconds or HTTP date).
    func requestedDelay(_ headers: [String: String], now: Date) -> Double? {
        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name }?.value.trimmingCharacters(in: .whitespaces)
        }
        if let ms = header("retry-after-ms").flatMap(Double.init), ms >= 0 {
            return min(ms / 1000, maxRetryAfter)
        }
        guard let value = header("retry-after") else { return nil }
        if let seconds = Double(value), seconds >= 0 { return min(seconds, maxRetryAfter) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        if let date = formatter.date(from: value) {
            return min(max(0, date.timeIntervalSince(now)), maxRetryAfter)
        }
        return nil
    }
}

/// Time as the client sees it: injectable so tests need not wait.
public struct APIClock: Sendable {
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (Double) -> Void
    public var random: @Sendable () -> Double

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Double) -> Void,
                random: @escaping @Sendable () -> Double) {
        self.now = now
        self.sleep = sleep
        self.random = random
    }

    /// The wall clock, real sleeps and a uniform random number in [0, 1).
    public static let system = APIClock(
        now: { Date() },
        sleep: { seconds in if seconds > 0 { Thread.sleep(forTimeInterval: seconds) } },
        random: { Double.random(in: 0..<1) })
}
