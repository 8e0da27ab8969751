import CkptCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where scheduler warnings go. The default prints to stderr, as Python's `warnings` module
/// does with its default filter: each distinct warning once per process.
public enum SchedulerWarnings {
    nonisolated(unsafe) public static var handler: (String) -> Void = printOnce
    nonisolated(unsafe) private static var printed: Set<String> = []

    public static func printOnce(_ message: String) {
        guard !printed.contains(message) else { return }
        printed.insert(message)
        var line = "UserWarning: " + message + "\n"
        line.withUTF8 { buf in _ = fwrite(buf.baseAddress, 1, buf.count, stderr) }
    }

    static let stepOrder = "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
        + "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
        + "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will result in "
        + "PyTorch skipping the first value of the learning rate schedule. See more details at "
        + "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
}
