import CkptFormat
import Foundation

/// The one check every command that writes a file makes first: an existing checkpoint is never
/// replaced by something else (a chart, a weights-only file) unless the user says so.
enum OutputTarget {
    /// Throws when `path` holds a checkpoint and `force` is false; `what` names what would
    /// replace it ("an SVG chart"). A file that is not a checkpoint may be replaced.
    static func refuseReplacingCheckpoint(_ path: String, with what: String, force: Bool = false, forceOption: String? = "--force") throws {
        guard !force, FileManager.default.fileExists(atPath: path),
              (try? CheckpointFile.isCheckpoint(path)) == true else { return }
        let hint = forceOption.map { " (pass \($0) to replace it)" } ?? ""
        throw CLIError.file(path, "is a checkpoint; refusing to replace it with \(what)\(hint)")
    }
}
