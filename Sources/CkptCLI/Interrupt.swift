import Foundation

/// Ctrl-C during training: the first SIGINT asks the loop to stop at the next batch boundary
/// (it saves the current state, which resumes exactly); a second one exits at once (130).
enum Interrupt {
    /// Written only by the signal handler (a plain C-compatible flag, no locks, no allocation).
    nonisolated(unsafe) static var flag: sig_atomic_t = 0

    static func install() {
        flag = 0  // initialises the static before a handler could first touch it
        signal(SIGINT) { _ in
            if Interrupt.flag != 0 { _exit(130) }
            Interrupt.flag = 1
        }
        // A parent may have spawned us with SIGINT blocked (the mask is inherited): unblock it,
        // or Ctrl-C would stay pending until the run ends.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static var requested: Bool { flag != 0 }
}
