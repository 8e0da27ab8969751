import Foundation

/// Finding checkpoints in a run directory (`ckpt resume DIR`).
public enum CheckpointDirectory {
    /// The checkpoint files of `directory`: names ending in `.h5` that are neither hidden nor
    /// temporaries of an unfinished save (which contain `.tmp`), newest first (by modification
    /// time; equal times by name, descending). Missing directory: an error naming it.
    public static func candidates(in directory: String) throws -> [String] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw RunError.file(directory, "no such directory")
        }
        let names = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
        let files = names.filter {
            $0.hasSuffix(".h5") && !$0.hasPrefix(".") && !$0.contains(".tmp") && !Backends.isTemporary($0)
        }
        let dated: [(String, Date)] = files.map { name in
            let path = (directory as NSString).appendingPathComponent(name)
            let date = (try? fm.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
            return (path, date)
        }
        return dated.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 > $1.0 }.map(\.0)
    }

    /// The newest checkpoint in `directory` that loads with valid checksums, skipping
    /// temporaries and files that fail to load; nil when there is none (an empty or new directory).
    public static func newestValid(in directory: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: directory) else { return nil }
        for path in try candidates(in: directory) {
            if let c = try? Backends.load(path), c.progress != nil, c.config != nil { return path }
        }
        return nil
    }
}
