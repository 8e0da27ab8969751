import Foundation

/// Stopping a training run: the first SIGINT (Ctrl-C), SIGTERM or SIGHUP (what SLURM, Kubernetes
/// and a closed terminal send before killing) asks the loop to stop at the next batch boundary;
/// it saves the current state, which resumes exactly, and the command exits 128 + the signal's
/// number, as a shell reports it. A second signal exits at once.
///
/// SIGPIPE (stdout closed: `ckpt train | head`, a log collector that went away) stops the run
/// the same way: the reader of the log is gone, so the run ends as a pipeline expects, but
/// only after saving, where the default action would kill it mid-batch or mid-save and lose
/// the steps since the last checkpoint. Writes to the closed pipe are dropped meanwhile
/// (`Console`), a repeated SIGPIPE is not a second signal, the saved path is printed on
/// stderr, and the command then ends by SIGPIPE itself, silently (a shell reports 141), as
/// `inspect | head` and `cat | head` do. Training on with nobody reading was rejected: a run
/// started in a pipeline would go on for hours after the user saw it end.
enum Interrupt {
    /// The number of the signal that asked to stop, 0 for none. Written only by the signal
    /// handler (a plain C-compatible flag, no locks, no allocation).
    nonisolated(unsafe) static var flag: sig_atomic_t = 0

    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGPIPE]

    static func install() {
        flag = 0  // initialises the static before a handler could first touch it
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals {
            signal(s) { sig in
                // Every write to a closed stdout raises SIGPIPE again: only the first counts.
                if sig == SIGPIPE {
                    if Interrupt.flag == 0 { Interrupt.flag = sig }
                    return
                }
                // A first Ctrl-C after stdout closed is the user's first signal, not a second.
                if Interrupt.flag != 0 && Interrupt.flag != SIGPIPE { _exit(128 + sig) }
                Interrupt.flag = sig
            }
            sigaddset(&set, s)
        }
        // A parent may have spawned us with these signals blocked (the mask is inherited):
        // unblock them, or Ctrl-C would stay pending until the run ends.
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Restores the default actions (after the run: a signal then ends the command as usual).
    static func uninstall() {
        for s in signals { signal(s, SIG_DFL) }
    }

    static var requested: Bool { flag != 0 }

    /// The run stopped because stdout was closed (SIGPIPE).
    static var stdoutClosed: Bool { flag == SIGPIPE }

    /// The signal's name for messages ("SIGTERM"), nil when none arrived.
    static var signalName: String? {
        switch flag {
        case SIGINT: return "SIGINT (Ctrl-C)"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        case SIGPIPE: return "SIGPIPE (stdout closed)"
        default: return nil
        }
    }

    /// The exit status of a run stopped by a signal: 130, 143 or 129. (Stopped by SIGPIPE,
    /// the command ends by that signal instead: `TrainingSession.status`.)
    static var status: CommandStatus {
        switch flag {
        case SIGTERM: return .terminated
        case SIGHUP: return .hangup
        default: return .interrupted
        }
    }
}
