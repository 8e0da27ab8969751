/// What a manifest that no longer matches its file most likely means, and what to do, worded
/// once for the loader's errors: a file shorter than saved was cut off (an interrupted copy, a
/// full disk); a longer one, or one whose metadata no longer hashes, was changed after the save
/// by another program (h5py opened it in "r+" or "a" mode, h5repack rewrote it). An edit can be
/// accepted by dropping the manifest, after which the file is read as any other tool's is
/// (parsed only in an isolated process).
enum ManifestMismatch {
    /// The reason for a file of `actual` bytes whose manifest says `saved`.
    static func sizeReason(file: String, actual: Int, saved: Int) -> String {
        if actual < saved {
            return "truncated: \(actual) bytes, the manifest says \(saved) (\(saved - actual) bytes missing at the end): "
                + "an interrupted copy or download, or a disk that filled up; copy the file again from where it came from"
        }
        return "\(actual) bytes, the manifest says \(saved) (\(actual - saved) bytes more): the file was edited or "
            + "rewritten after ckpt saved it, probably by another program (h5py in \"r+\" or \"a\" mode, h5repack), so "
            + "ckpt cannot vouch for its structure; " + remedy(file)
    }

    /// What to do about a file another program changed.
    static func remedy(_ file: String) -> String {
        "use the file as saved if you have it, or, to accept the edit, drop the manifest so ckpt reads the file as "
            + "another tool's (in an isolated process): dd if=/dev/zero of=\(shellQuoted(file)) bs=16 count=1 conv=notrunc"
    }

    /// `s` as one shell word.
    static func shellQuoted(_ s: String) -> String {
        let plain = s.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || "-_./+:@,".unicodeScalars.contains(c)
        }
        return plain && !s.isEmpty ? s : "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
