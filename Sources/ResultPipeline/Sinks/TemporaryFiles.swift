// Remembers the temporary files of outputs still being written, so that a process stopped by a
// signal (Ctrl-C, kill, or a bus error from a truncated mapped file) can remove them: nothing
// half-written is left behind, under any name.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// The temporary paths of unfinished outputs, readable from a signal handler.
public final class TemporaryFiles: Sendable {
    /// Each slot holds a malloc'ed C string's address, or 0. Atomics, because a signal handler
    /// reads them while other threads register and unregister.
    private let slots: InlineArray<64, Atomic<Int>> = InlineArray { _ in Atomic(0) }

    public static let shared = TemporaryFiles()

    /// Records `path`; returns its slot, or nil when all slots are taken (the file is then only
    /// cleaned up by the normal paths).
    func register(_ path: String) -> Int? {
        guard let copy = strdup(path) else { return nil }
        let address = Int(bitPattern: copy)
        for i in slots.indices {
            if slots[i].compareExchange(expected: 0, desired: address, ordering: .acquiringAndReleasing).exchanged {
                return i
            }
        }
        free(copy)
        return nil
    }

    /// Forgets a registered path.
    func unregister(_ slot: Int) {
        let address = slots[slot].exchange(0, ordering: .acquiringAndReleasing)
        if address != 0 { free(UnsafeMutableRawPointer(bitPattern: address)) }
    }

    /// Unlinks every registered file. Only async-signal-safe calls: for use in a signal handler.
    public func removeAllNow() {
        for i in slots.indices {
            let address = slots[i].load(ordering: .acquiring)
            if address != 0, let path = UnsafePointer<CChar>(bitPattern: address) { unlink(path) }
        }
    }

    /// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove the registered files and
    /// exit with 128 + the signal number.
    /// Call before starting threads: the signals are also unblocked here, since a parent may
    /// pass them on blocked, and threads started later inherit this thread's mask.
    public static func removeOnTerminatingSignals() {
        _ = shared
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            sigaddset(&unblocked, sig)
            signal(sig) { received in
                TemporaryFiles.shared.removeAllNow()
                _exit(128 + received)
            }
        }
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
    }

    /// Installs a handler for SIGBUS that removes the registered files, says why on standard
    /// error and exits with status 1. Plain input files and join sources are read through memory
    /// mappings: if another process truncates one during a run, the next read of a page past its
    /// new end raises SIGBUS on the reading thread, which cannot be turned into a thrown error.
    public static func removeOnBusError() {
        _ = shared
        signal(SIGBUS) { _ in
            TemporaryFiles.shared.removeAllNow()
            let message: StaticString = """
                Error: an input or join source file was truncated while it was being read \
                (it is memory-mapped; the kernel raised SIGBUS); no output was written

                """
            _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
            _exit(1)
        }
    }
}
