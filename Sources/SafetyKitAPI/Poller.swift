// Polls a request until it reaches a terminal status, at the API's recommended pace.

import Foundation

/// How often and how long to poll.
public struct PollOptions: Sendable {
    /// Seconds between polls before jitter. The CLI keeps it within 3–10.
    public var interval = 5.0
    /// Up to this fraction of `interval` is added at random, so many clients do not poll in step.
    public var jitter = 0.2
    /// Give up after this many seconds; nil waits forever.
    public var timeout: Double?

    public init(interval: Double = 5, jitter: Double = 0.2, timeout: Double? = nil) {
        self.interval = interval
        self.jitter = jitter
        self.timeout = timeout
    }
}

public enum Poller {
    /// Polls until `succeeded` or `failed`; an unknown status keeps polling. `onStatus` sees every
    /// answer. Throws `.timedOut` when `options.timeout` passes first.
    public static func waitForTerminal(client: SafetyKitClient, namespace: String, request: String,
                                       options: PollOptions,
                                       onStatus: (RequestStatus) -> Void = { _ in }) throws -> RequestStatus {
        let start = client.clock.now()
        while true {
            let status = try client.status(namespace: namespace, request: request)
            onStatus(status)
            if status.state.isTerminal { return status }
            let wait = max(client.retry.minimumSpacing, options.interval * (1 + options.jitter * client.clock.random()))
            if let timeout = options.timeout,
               client.clock.now().timeIntervalSince(start) + wait > timeout {
                throw APIError(.timedOut, message: "request \(request) was still \(status.state) after \(Int(timeout)) s of polling")
            }
            client.clock.sleep(wait)
        }
    }
}
