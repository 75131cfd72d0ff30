// The few synchronisation pieces the pipeline needs, built on Synchronization's Mutex and Atomic
// and Dispatch semaphores: a blocking FIFO, a counter, and a first-error latch.

import Dispatch
import Synchronization

/// A FIFO whose `pop` waits for an item. Holds at most the pipeline's pool size.
final class BlockingQueue<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    private let available = DispatchSemaphore(value: 0)

    func push(_ item: Element) {
        items.withLock { $0.append(item) }
        available.signal()
    }

    func pop() -> Element {
        available.wait()
        return items.withLock { $0.removeFirst() }
    }

    /// An item if one is queued now, else nil.
    func tryPop() -> Element? {
        guard available.wait(timeout: .now()) == .success else { return nil }
        return items.withLock { $0.removeFirst() }
    }
}

/// A relaxed atomic counter.
final class AtomicCounter: Sendable {
    private let value = Atomic<Int>(0)

    /// Adds `n` and returns the new value.
    @discardableResult
    func add(_ n: Int) -> Int { value.add(n, ordering: .relaxed).newValue }

    var current: Int { value.load(ordering: .relaxed) }
}

/// Keeps the first error of a run and tells every stage to stop.
final class FailureLatch: Sendable {
    private let error = Mutex<(any Error)?>(nil)
    private let flag = Atomic<Bool>(false)

    var hasFailed: Bool { flag.load(ordering: .acquiring) }

    func record(_ e: any Error) {
        error.withLock { if $0 == nil { $0 = e } }
        flag.store(true, ordering: .releasing)
    }

    var firstError: (any Error)? { error.withLock { $0 } }
}
