import Foundation

/// Runs another program to completion and collects what it printed.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        /// True when it exited (rather than died of a signal).
        public var exited: Bool
        public var stdout: String
        public var stderr: String
        /// Both outputs, stdout first: for failure messages.
        public var output: String { stdout + stderr }
    }

    /// Runs `executable` (a path) with `arguments`, in `directory` when given, with the test
    /// process's environment plus `environment`. Both pipes are drained while it runs, so a
    /// chatty child cannot block on a full pipe. Throws when it cannot be started.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], in directory: String? = nil,
                           environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let errData = Box()
        let done = DispatchSemaphore(value: 0)
        Thread {
            errData.data = err.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, exited: p.terminationReason == .exit,
                      stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData.data, as: UTF8.self))
    }

    /// Runs a program found on `PATH` (`Tools.find`); nil when it is not installed.
    public static func runTool(_ tool: String, _ arguments: [String], in directory: String? = nil) -> Result? {
        guard let exe = Tools.find(tool) else { return nil }
        return try? run(exe, arguments, in: directory)
    }

    private final class Box: @unchecked Sendable { var data = Data() }
}
