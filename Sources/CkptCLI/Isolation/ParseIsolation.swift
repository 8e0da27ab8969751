#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CkptFormat
import Foundation

/// Runs a command that parses untrusted HDF5 files (`inspect`, `verify`, `diff`) in a child
/// process, so a crash or endless loop inside the HDF5 C library on a crafted file becomes an
/// error message with exit status 2 instead of a dead or hung `ckpt`.
///
/// HDF5 1.10 has known crashes and hangs on crafted files (CVE-2025-2915, -6750, -6816, ...;
/// HDFGroup/hdf5#1707) that no check in Swift can rule out before the library parses the file.
/// The library itself contains those (`ForeignFile`: files without a valid manifest are
/// read in a forked child and parsed only as its rebuilt copy, which is all `resume` and
/// `train --init-from` need); this
/// isolation also bounds the memory and time of the whole command, whatever it parses.
/// The parent re-executes its own binary (`/proc/self/exe`, same arguments) with
/// `CKPT_ISOLATED_CHILD=<parent pid>`; the child exits when its parent is gone (so a SIGTERM or
/// SIGKILL to `ckpt inspect` leaves no orphan parsing on), limits itself (CPU seconds, data
/// size, no core file) and
/// runs the command normally, writing straight to the inherited stdout and stderr. The parent
/// passes the child's exit status through, and turns a crash signal or timeout into
/// "FILE: unreadable or corrupt file: ..." with status 2; a child ended by SIGPIPE (stdout
/// closed early) or by a stop signal ends the parent by the same signal, silently.
///
/// When every file of the command is signed with this user's key (written by this user's ckpt
/// or ckpt_torch: `CheckpointFile.isSignedByThisUser`), the command runs in-process, sparing a
/// second process start: every reader parses such files in-process anyway (`ForeignFile`), and
/// the two parses that otherwise rely on the child (`isCheckpoint`, the tree of a file that is
/// not a checkpoint) then open the file as `ForeignFile` does or refuse it, so a file swapped
/// after the check never reaches libhdf5 here unless it is signed too (`runsInProcess`).
/// Where `/proc/self/exe` does not exist (macOS) the command runs in-process. Nothing in the
/// environment but the parent's own `CKPT_ISOLATED_CHILD` changes what happens: the tests kill
/// the real child to show a crash is reported (ReliabilityTests/IsolationTests).
public enum ParseIsolation {
    /// Set by `CkptCommand.main()` (the real binary) only: in-process callers such as tests
    /// never re-execute their own executable.
    public static var isEnabled = false
    /// True once `runInChild` decided to run the command here because every file is signed.
    public private(set) static var runsInProcess = false
    static let childVariable = "CKPT_ISOLATED_CHILD"

    /// Limits for one run over `files`: CPU seconds and bytes of data, both growing with the
    /// input so a large honest checkpoint never hits them while a small crafted file that
    /// asks for terabytes or loops forever does.
    public struct Limits: Equatable, Sendable {
        public var cpuSeconds: Int
        public var wallSeconds: Int
        public var dataBytes: Int

        /// 20 CPU s plus 1 s per 64 MiB of input (at least `CKPT_READ_SECONDS`); wall clock 10×
        /// that (a loaded machine);
        /// data 2 GiB (Swift runtime, OpenBLAS threads) plus 4× the input.
        /// `CKPT_READ_SECONDS` raises the CPU seconds (`ReadTimeLimit`).
        public static func forInput(bytes: Int) -> Limits {
            let cpu = ReadTimeLimit.cpuSeconds(default: 20 + bytes / (64 << 20))
            return Limits(cpuSeconds: cpu, wallSeconds: 10 * cpu, dataBytes: (2 << 30) + 4 * bytes)
        }
    }

    /// Call first thing in a command's `run()`. In the parent, runs the whole command in a child
    /// and returns the exit status to end with (the child has already printed its output, or
    /// this function printed why the child died). In the child (or where isolation is off),
    /// returns nil: go on and run the command here.
    public static func runInChild(command: String, files: [String]) -> Int32? {
        guard isEnabled else { return nil }
        if let parent = getenv(childVariable) {
            if let pid = Int32(String(cString: parent)) { exitWhenOrphaned(parent: pid) }
            applyLimits(.forInput(bytes: totalSize(files)))
            return nil
        }
        if access("/proc/self/exe", X_OK) != 0 { return nil }
        if !needsChild(files) {
            runsInProcess = true
            return nil
        }
        let limits = Limits.forInput(bytes: totalSize(files))
        switch spawnAndWait(arguments: CommandLine.arguments, limits: limits) {
        case .exited(let status):
            return status
        case .signaled(let sig) where endsQuietly.contains(sig):
            endAsSignaled(sig)
        case .signaled(let sig):
            report(command, files, "the HDF5 reader crashed (\(signalName(sig)))")
            return 2
        case .timedOut:
            reportStopped(command, files, after: "\(limits.wallSeconds) s (wall clock)", limits: limits)
            return 2
        case .cpuLimit:
            reportStopped(command, files, after: "\(limits.cpuSeconds) s of CPU time", limits: limits)
            return 2
        case .spawnFailed:
            return nil  // cannot isolate: run in-process rather than fail
        }
    }

    /// False when every file is signed with this user's key (see the type's comment).
    static func needsChild(_ files: [String]) -> Bool {
        files.isEmpty || !files.allSatisfy(CheckpointFile.isSignedByThisUser)
    }

    enum Outcome: Equatable { case exited(Int32), signaled(Int32), timedOut, cpuLimit, spawnFailed }

    /// Signals that say nothing about the file, so the command ends as any Unix tool would,
    /// without a word: SIGPIPE (the reader of stdout went away: `ckpt inspect F | head`) and
    /// the signals a user or a scheduler stops a command with (SIGINT, SIGTERM, SIGHUP,
    /// SIGQUIT, sent to the child alone). Calling them a crash would blame the file.
    static let endsQuietly: Set<Int32> = [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    /// Ends this process by `sig` at its default action, as the child ended: a shell then
    /// reports 128 + the signal (141 for SIGPIPE, as for `cat` in `cat F | head`), Python's
    /// subprocess a returncode of -sig. A caller that ignored or blocked the signal does not
    /// change that; `_exit(128 + sig)` if it still returns.
    static func endAsSignaled(_ sig: Int32) -> Never {
        signal(sig, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, sig)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        raise(sig)
        _exit(128 + sig)
    }

    static func spawnAndWait(arguments: [String], limits: Limits) -> Outcome {
        var env: [String] = []
        var p = environ
        while let e = p.pointee { env.append(String(cString: e)); p += 1 }
        env.append("\(childVariable)=\(getpid())")
        // A crash is reported in one line by the parent, not by the Swift runtime's backtracer.
        env = env.filter { !$0.hasPrefix("SWIFT_BACKTRACE=") } + ["SWIFT_BACKTRACE=enable=no"]
        var pid: pid_t = 0
        // Every signal at its default action and unblocked in the child: a caller (a shell, a
        // test runner) that ignores or blocks SIGXCPU or SIGABRT must not turn a limit or a
        // crash into a hang or exit 0.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attr, &all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)  // and none blocked (test runners block some)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let rc = withCStrings(arguments) { argv in
            withCStrings(env) { envp in posix_spawn(&pid, "/proc/self/exe", nil, &attr, argv, envp) }
        }
        guard rc == 0 else { return .spawnFailed }
        // A thread blocks in waitpid, so the parent returns the moment the child ends (polling
        // with sleeps of up to 20 ms added 10 ms on average to every command); only it reaps.
        let waiter = ChildWaiter()
        Thread.detachNewThread { waiter.wait(for: pid) }
        if waiter.done.wait(timeout: .now() + .seconds(limits.wallSeconds)) == .timedOut {
            kill(pid, SIGKILL)
            waiter.done.wait()
            return .timedOut
        }
        guard waiter.reaped else { return .spawnFailed }
        let status = waiter.status
        let sig = status & 0x7f
        if sig == 0 { return .exited((status >> 8) & 0xff) }
        return sig == SIGXCPU ? .cpuLimit : .signaled(sig)
    }

    /// A thread that ends the process within 0.1 s of `parent` going away (re-parented: the
    /// parent pid changes). Polling, because `prctl(PR_SET_PDEATHSIG)` is variadic C that Swift
    /// cannot call, and it must also hold where a parent died before the child started.
    static func exitWhenOrphaned(parent: pid_t) {
        Thread.detachNewThread {
            while getppid() == parent { usleep(100_000) }
            _exit(2)
        }
    }

    static func applyLimits(_ l: Limits) {
        func set(_ resource: __rlimit_resource_t, _ value: Int) {  // Int32 on glibc
            var r = rlimit()
            guard getrlimit(resource, &r) == 0 else { return }
            let v = rlim_t(value)
            // Never raise a limit the caller already set lower.
            if r.rlim_max != rlim_t.max && r.rlim_max < v { return }
            r.rlim_cur = v
            if r.rlim_max == rlim_t.max || r.rlim_max > v + 5 { r.rlim_max = v == 0 ? 0 : v + 5 }
            _ = setrlimit(resource, &r)
        }
        set(__rlimit_resource_t(RLIMIT_CPU.rawValue), l.cpuSeconds)
        set(__rlimit_resource_t(RLIMIT_DATA.rawValue), l.dataBytes)
        set(__rlimit_resource_t(RLIMIT_CORE.rawValue), 0)
    }

    static func totalSize(_ files: [String]) -> Int {
        files.reduce(0) { sum, f in
            var st = stat()
            guard stat(f, &st) == 0 else { return sum }
            // A checkpoint directory (DCP, Hugging Face): the files directly inside it.
            if (st.st_mode & S_IFMT) == S_IFDIR {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: f)) ?? []
                return names.reduce(sum) { s, n in
                    var m = stat()
                    return stat(f + "/" + n, &m) == 0 && (m.st_mode & S_IFMT) == S_IFREG ? s &+ Int(clamping: m.st_size) : s
                }
            }
            return sum + Int(clamping: st.st_size)
        }
    }

    static func report(_ command: String, _ files: [String], _ why: String) {
        writeStderr("ckpt \(command): \(describe(files)): unreadable or corrupt file: \(why)\n")
    }

    /// The command reached its time limit: says so (not "corrupt": a sound, large file can
    /// take that long), with the limit and how to raise it.
    static func reportStopped(_ command: String, _ files: [String], after: String, limits: Limits) {
        let bytes = totalSize(files)
        let size = bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
        writeStderr("ckpt \(command): \(describe(files)): stopped after \(after), the limit for \(size) of input "
              + "(ckpt limits the time it spends parsing files, since a crafted file can make libhdf5 loop forever); "
              + "\(ReadTimeLimit.howToRaise(limit: limits.cpuSeconds))\n")
    }

    private static func describe(_ files: [String]) -> String {
        files.count == 1 ? files[0] : files.joined(separator: ", ")
    }

    private static func writeStderr(_ line: String) {
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    static func signalName(_ sig: Int32) -> String {
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGABRT: "SIGABRT", SIGILL: "SIGILL",
                                      SIGFPE: "SIGFPE", SIGTRAP: "SIGTRAP", SIGKILL: "SIGKILL"]
        return "signal \(sig)" + (names[sig].map { ", \($0)" } ?? "")
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { ptrs.forEach { free($0) } }
        return body(ptrs)
    }
}

/// `waitpid` on a thread of its own: `done` is signalled once the child is reaped (or waitpid
/// failed), with its status.
private final class ChildWaiter: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    private(set) var status: Int32 = 0
    private(set) var reaped = false

    func wait(for pid: pid_t) {
        var st: Int32 = 0
        var r: pid_t
        repeat { r = waitpid(pid, &st, 0) } while r < 0 && errno == EINTR
        (status, reaped) = (st, r == pid)
        done.signal()
    }
}
