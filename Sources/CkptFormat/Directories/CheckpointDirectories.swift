import CkptCore

/// Checkpoint directories from the wider ecosystem, read as one more checkpoint format: the
/// one place `CheckpointFile.load`, `outline`, `isCheckpoint` and `FileTreeNode.list` ask
/// whether a path is a directory ckpt reads, so `inspect`, `diff`, `verify`, `convert` and
/// `plot` treat a directory as they treat a file.
///
/// - `.dcp`: a PyTorch Distributed Checkpoint (`.metadata` + `*.distcp`, `DCPDirectory`).
/// - `.huggingFace`: a `transformers.Trainer` checkpoint (`TrainerDirectory`).
public enum CheckpointDirectories {
    public enum Kind: String, Sendable { case dcp = "torch.distributed.checkpoint", huggingFace = "transformers.Trainer" }

    /// The kind of checkpoint directory at `path`, nil for a file or any other directory.
    public static func kind(_ path: String) -> Kind? {
        if DCPDirectory.recognises(path) { return .dcp }
        if TrainerDirectory.recognises(path) { return .huggingFace }
        return nil
    }

    /// The directory as a `Checkpoint` (a DCP directory's `{"model", "optimizer", ...}` is
    /// mapped as `TorchCheckpoint` maps a torch.save file's dict).
    public static func load(_ path: String, kind: Kind) throws -> Checkpoint {
        switch kind {
        case .dcp:
            var c = TorchCheckpoint.checkpoint(from: try DCPDirectory.read(path).value)
            c.metadata["created_by"] = .string(kind.rawValue)
            return c
        case .huggingFace:
            return try TrainerDirectory.load(path)
        }
    }

    /// `inspect --tree`: the directory's files, and for DCP each tensor with the file, rank
    /// and byte range of every chunk.
    public static func tree(_ path: String, kind: Kind) throws -> FileTreeNode {
        var root = FileTreeNode(name: "", path: "/", kind: .group, attributes: [(name: "format", value: .string(kind.rawValue), type: "string")])
        switch kind {
        case .dcp:
            for (fqn, dtype, size, sources) in try DCPDirectory.read(path).chunks {
                let chunks = sources.enumerated().map { i, s in
                    FileTreeNode(name: "chunk\(i)", path: "/\(fqn)/chunk\(i)", kind: .dataset, shape: s.sizes, type: dtype, attributes: [
                        (name: "offsets", value: .list(s.offsets.map { .int(Int64($0)) }), type: "int64"),
                        (name: "file", value: .string(s.file), type: "string"),
                        (name: "rank", value: s.rank.map { StateValue.int(Int64($0)) } ?? StateValue.none, type: "int64"),
                        (name: "byte_offset", value: .int(Int64(s.byteOffset)), type: "int64"),
                        (name: "length", value: .int(Int64(s.length)), type: "int64"),
                    ])
                }
                root.children.append(FileTreeNode(name: fqn, path: "/\(fqn)", kind: .group, attributes: [
                    (name: "dtype", value: .string(dtype), type: "string"),
                    (name: "size", value: .list(size.map { .int(Int64($0)) }), type: "int64"),
                ], children: chunks))
            }
        case .huggingFace:
            for name in DirectoryMember.names(in: path) {
                root.children.append(FileTreeNode(name: name, path: "/\(name)", kind: .other, type: "file"))
            }
        }
        return root
    }
}
