import Foundation

/// The one check every command that writes a file makes first: an existing checkpoint is never
/// replaced by something else (a chart, a weights-only file) unless the user says so.
///
/// Any HDF5 file counts (found by its signature, without parsing it: the target may be
/// anyone's file, and this runs outside the isolated child for `convert`).
enum OutputTarget {
    /// Throws when `path` holds an HDF5 file and `force` is false; `what` names what would
    /// replace it ("an SVG chart").
    static func refuseReplacingCheckpoint(_ path: String, with what: String, force: Bool = false, forceOption: String? = "--force") throws {
        guard !force, isHDF5(path) else { return }
        let hint = forceOption.map { " (pass \($0) to replace it)" } ?? ""
        throw CLIError.file(path, "is a checkpoint (an HDF5 file); refusing to replace it with \(what)\(hint)")
    }

    /// HDF5's signature at 0, 512, 1024, 2048, ... (where a superblock may start after a user
    /// block), as far as the file goes.
    static func isHDF5(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        var offset: UInt64 = 0
        while offset < 1 << 20 {
            guard (try? h.seek(toOffset: offset)) != nil, let bytes = try? h.read(upToCount: 8), bytes.count == 8 else { return false }
            if Array(bytes) == signature { return true }
            offset = offset == 0 ? 512 : offset * 2
        }
        return false
    }
}
