import Foundation

/// What the machine offers the tests that compare against reference tools: python3 and its
/// packages, h5dump, headless Chromium. Each answer is computed once, on first use, by asking
/// the tool itself (an import that fails counts as absent), and is meant for a trait, so a test
/// that cannot run is reported as skipped with the reason:
///
///     @Test(.enabled(if: Tools.hasH5py, "python3 with h5py and numpy is not installed"))
///
/// `python3` is the first on `PATH`, as `make test-python` and the scripts use it.
public enum Tools {
    /// The executable `tool` on `PATH`, or nil.
    public static func find(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    public static let python3: String? = find("python3")

    /// True when `python3 -c "import m1, m2, ..."` succeeds.
    public static func pythonImports(_ modules: String...) -> Bool {
        guard let python3 else { return false }
        return (try? Subprocess.run(python3, ["-c", "import " + modules.joined(separator: ", ")]))?.status == 0
    }

    /// python3 with h5py and numpy: the reference HDF5 reader and writer.
    public static let hasH5py = pythonImports("h5py", "numpy")
    /// python3 with PyTorch, h5py and numpy: the PyTorch round trips.
    public static let hasTorch = hasH5py && pythonImports("torch")
    /// python3 with the `xxhash` package (python/ckpt_torch.py has a pure-Python XXH64 without it).
    public static let hasXxhash = pythonImports("xxhash")
    /// python3 with the reference `safetensors` package and numpy.
    public static let hasSafetensors = pythonImports("safetensors", "numpy")

    /// h5dump (Debian: hdf5-tools).
    public static let hasH5dump = find("h5dump") != nil
    /// A Chromium that scripts/render_svg.sh would run headless (without one the script would
    /// install it with apt-get, which a test must not do).
    public static let hasChromium = ["chromium", "chromium-browser", "google-chrome"].contains { find($0) != nil }
    /// util-linux `script`, to run a command under a pseudo-terminal.
    public static let script: String? = ["/usr/bin/script", "/bin/script"].first { FileManager.default.isExecutableFile(atPath: $0) }
}
