import Foundation

/// A fresh directory under the system's temporary directory, named `<label>-<UUID>`, for one
/// test; the caller removes it.
public func makeScratchDirectory(_ label: String) -> String {
    let dir = NSTemporaryDirectory() + label + "-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}
