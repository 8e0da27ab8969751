import Foundation

/// The package's executables (`ckpt`, `bench-io`, `custom-loop`) as `swift build` left them,
/// for tests that run them as a user would.
///
/// Looked for beside the test bundle first (what this `swift test` built), then under the
/// package's `.build/release` and `.build/debug`; `CKPT_BIN_DIR` (read by the tests, not by
/// ckpt) names another directory to look in first. `make test` builds every product before the
/// tests run; where one is missing the tests that need it are skipped and say which.
public enum BuiltProducts {
    static let directories: [URL] = {
        var dirs: [URL] = []
        if let d = ProcessInfo.processInfo.environment["CKPT_BIN_DIR"] { dirs.append(URL(fileURLWithPath: d)) }
        if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent()) }
        dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
        let build = URL(fileURLWithPath: Repository.root).appendingPathComponent(".build")
        dirs.append(build.appendingPathComponent("release"))
        dirs.append(build.appendingPathComponent("debug"))
        return dirs
    }()

    /// The executable named `name`, or nil when it has not been built.
    public static func path(_ name: String) -> String? {
        directories.map { $0.appendingPathComponent(name).path }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The `ckpt` binary, looked up once.
    public static let ckpt: String? = path("ckpt")
}
