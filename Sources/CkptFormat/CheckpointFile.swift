#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CkptCore
import HDF5

/// Saves and loads `Checkpoint`s as format v1 HDF5 files (`docs/FORMAT.md`).
///
/// `save` is atomic and durable, and never follows a symlink it did not create (`AtomicFile`):
/// it writes the file inside a private temporary directory `.<name>.partial-<random>` next to
/// the target, fsyncs it, renames it over the target and fsyncs the directory, so a crash
/// leaves the old file or the new one, never a torn one. `load` treats the file as untrusted and
/// verifies every tensor's XXH64 checksum unless told not to; a file without a valid ckpt
/// manifest (h5py-written, foreign) is read by a forked child that hands back a rebuilt copy
/// (`ForeignFile`), so a libhdf5 crash on it is a `CheckpointError`, not a dead process.
///
/// Use from one thread at a time (HDF5 calls are serialised by design; hashing runs on a
/// second core internally).
public enum CheckpointFile {
    /// Writes `checkpoint` to `path`, replacing any file there atomically.
    ///
    /// Root attributes: `format`, `format_version` (always this writer's), `created_by`
    /// (kept from `checkpoint.metadata` when set, else "ckpt"), `created_at` (now, ISO 8601 UTC),
    /// then the rest of `checkpoint.metadata` in order (scalars, strings, None and flat
    /// lists only). `durable: false` skips the two fsyncs (benchmarks, scratch files).
    /// `hooks` is a test seam (`SaveHooks`): called between the steps of the save.
    /// `singleThread`: hash every tensor on the calling thread instead of hashing large ones
    /// on a second core while HDF5 writes them (a background save, which must leave the other
    /// cores to training); the bytes written are the same.
    public static func save(_ checkpoint: Checkpoint, to path: String, durable: Bool = true,
                            hooks: SaveHooks = .none, singleThread: Bool = false) throws {
        // What failed is in the error thrown; what a failed call left on this thread's HDF5
        // error stack would keep libhdf5 from closing at exit if the thread lives on.
        defer { HDF5Error.clearThreadStack() }
        try AtomicFile.write(to: path, durable: durable, hooks: hooks) { tmp in
            try write(checkpoint, into: tmp, reportingAs: path, singleThread: singleThread)
        }
    }

    /// Reads the checkpoint at `path`. With `verifyChecksums`, every tensor must carry a
    /// checksum that matches its bytes (`CheckpointError.checksumMismatch` names the tensor).
    public static func load(_ path: String, verifyChecksums: Bool = true) throws -> Checkpoint {
        if TorchFile.isTorchFile(path) { return try TorchCheckpoint.load(path) }  // .pt / .pth
        if let kind = CheckpointDirectories.kind(path) { return try CheckpointDirectories.load(path, kind: kind) }
        if SafetensorsCheckpoint.recognises(path) { return try SafetensorsCheckpoint.load(path) }
        // ForeignFile checks the manifest (the metadata's hash) before the HDF5 library parses
        // any of it, and parses a file without a valid, signed one only as a copy rebuilt in a
        // child; a verifying load throws on a manifest that does not match.
        let file: HDF5File
        do { file = try ForeignFile.open(path, rejectingMismatch: verifyChecksums) } catch let e as HDF5Error {
            throw CheckpointError.unreadable(file: path, path: "/", reason: e.reason)
        }
        defer { try? file.close() }
        do {
            return try read(file, verifyChecksums: verifyChecksums)
        } catch let e as HDF5Error {
            throw CheckpointError(e)
        }
    }

    /// True for names `save` uses for its temporaries (`.<name>.partial-<random>`; earlier
    /// versions wrote `.<name>.partial-<pid>-<random>`):
    /// directory listings (resume, retention) must skip these.
    public static func isTemporary(_ fileName: String) -> Bool {
        let name = AtomicFile.split(fileName).name
        return name.hasPrefix(".") && name.contains(AtomicFile.partialMarker)
    }

    /// The root attributes `save` writes for `metadata`: format stamps first, then the rest.
    public static func stampedMetadata(_ metadata: StateDict, createdAt: String = isoTimestamp()) -> StateDict {
        var out = StateDict()
        out["format"] = .string(CheckpointFormat.name)
        out["format_version"] = .int(CheckpointFormat.version)
        out["created_by"] = metadata["created_by"] ?? .string("ckpt")
        out["created_at"] = .string(createdAt)
        for (k, v) in metadata where out[k] == nil { out[k] = v }
        return out
    }

    /// Now as ISO 8601 UTC with seconds ("2026-11-24T20:09:09Z").
    public static func isoTimestamp() -> String {
        var t = time(nil)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 32)
        strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%SZ", &tmv)
        return String(cString: buf)
    }

    // MARK: - writing

    /// libhdf5 creates the file at the temporary's `libraryPath()` (resolved through the
    /// private directory's descriptor); the manifest is written through the descriptor
    /// `openContent()` returns, never by path.
    private static func write(_ c: Checkpoint, into tmp: AtomicFile, reportingAs path: String,
                              singleThread: Bool) throws {
        let writer = StateWriter(file: path, parallelHash: !singleThread)
        let userBlock = userBlockSize(c)
        let file: HDF5File
        do { file = try HDF5File.create(try tmp.libraryPath(), userBlockSize: userBlock) } catch let e as HDF5Error {
            throw CheckpointError.io(file: path, operation: "create \(tmp.temporary)", reason: e.reason)
        }
        try writeContent(c, into: file, writer: writer, createdAt: isoTimestamp(), reportingAs: path) {
            tmp.hooks(.contentPartlyWritten, tmp.temporary)
        }
        tmp.hooks(.contentWritten, tmp.temporary)
        try FileManifest.write(fd: try tmp.openContent(), userBlockSize: userBlock,
                               tensorRanges: writer.ranges.list, reportingAs: path)
    }

    /// The user block a file of `c` reserves for its manifest.
    static func userBlockSize(_ c: Checkpoint) -> Int {
        FileManifest.userBlockSize(forTensorCount: c.tensorCount)
    }

    /// The root attributes and every section of `c` into the new `file`, which is then closed
    /// (also on an error); errors name `path`. A collective save calls it on every rank.
    static func writeContent(_ c: Checkpoint, into file: HDF5File, writer: StateWriter, createdAt: String,
                             reportingAs path: String, afterModel: () -> Void = {}) throws {
        do {
            let root = try file.root()
            try writeRootAttributes(stampedMetadata(c.metadata, createdAt: createdAt), root, writer)
            for (name, dict) in c.sections {
                let g = try root.createGroup(name)
                try writer.write(dict, into: g)
                if name == "model" { afterModel() }
                if name == "optimizer" { try writeParamNames(dict, g) }
            }
            try file.close()
        } catch let e as HDF5Error {
            try? file.close()
            // One line: the checkpoint, the object, HDF5's condensed reason (the temporary's
            // name would only repeat the checkpoint's).
            throw CheckpointError.io(file: path, operation: "write \(e.path)", reason: "cannot \(e.operation): \(e.reason)")
        } catch {
            try? file.close()
            throw error
        }
    }

    private static func writeRootAttributes(_ meta: StateDict, _ root: HDF5Group, _ writer: StateWriter) throws {
        var tuples: [String] = []
        for (k, v) in meta {
            let p = "/" + k
            if CheckpointFormat.sections.contains(k) || k.hasPrefix(CheckpointFormat.reservedPrefix) || k.isEmpty {
                throw CheckpointError.unsupportedValue(file: writer.file, path: p, reason: "reserved metadata key")
            }
            switch v {
            case .int, .double, .bool, .string, .none:
                try root.writeAttribute(k, writer.scalarAttribute(v))
            case .list(let items), .tuple(let items):
                guard let a = writer.arrayAttribute(items) else {
                    throw CheckpointError.unsupportedValue(file: writer.file, path: p,
                                                           reason: "metadata lists must be flat numbers, bools or strings")
                }
                try root.writeAttribute(k, a)
                if case .tuple = v { tuples.append(k) }
            default:
                throw CheckpointError.unsupportedValue(file: writer.file, path: p,
                                                       reason: "metadata values must be scalars, strings, None or flat lists (found \(v.kindName))")
            }
        }
        if !tuples.isEmpty { try root.writeAttribute(CheckpointFormat.tuplesAttribute, .stringArray(tuples)) }
    }

    /// Adds attribute `param_name` to `/optimizer/state/<i>` for parameters whose group has
    /// `param_names` (derived metadata for h5dump readers; `load` drops it again).
    private static func writeParamNames(_ o: StateDict, _ g: HDF5Group) throws {
        guard let state = o["state"]?.dictValue, !state.isEmpty, try g.contains("state") else { return }
        let names = parameterNames(o)
        let stateGroup = try g.openGroup("state")
        for (key, value) in state {
            guard let name = Int64(key).flatMap({ names[$0] }), value.dictValue?["param_name"] == nil,
                  case .group = try stateGroup.childKind(key)
            else { continue }
            try stateGroup.openGroup(key).writeAttribute("param_name", .string(name))
        }
    }

    static func parameterNames(_ o: StateDict) -> [Int64: String] {
        var names: [Int64: String] = [:]
        for group in o["param_groups"]?.arrayValue ?? [] {
            guard let g = group.dictValue, let params = g["params"]?.arrayValue,
                  let pn = g["param_names"]?.arrayValue, pn.count == params.count else { continue }
            for (i, n) in zip(params, pn) {
                if let i = i.intValue, let n = n.stringValue { names[i] = n }
            }
        }
        return names
    }

    // MARK: - reading

    /// Reads the whole checkpoint; with `damaged`, checksum mismatches are collected there
    /// instead of thrown.
    static func read(_ file: HDF5File, verifyChecksums: Bool, damaged: UnsafeMutablePointer<[CheckpointError]>? = nil) throws -> Checkpoint {
        let reader = StateReader(file: file.path, verifyChecksums: verifyChecksums)
        reader.collectMismatches = damaged != nil
        let checkpoint = try read(file, reader: reader)
        damaged?.pointee = reader.mismatches
        return checkpoint
    }

    /// Reads the whole checkpoint with `reader` (which may defer large tensors: `outline`).
    /// `/progress` is always read whole: its histories are parsed here (`RunProgress`).
    static func read(_ file: HDF5File, reader: StateReader) throws -> Checkpoint {
        let path = file.path
        let root = try file.root()
        let inlineBytes = reader.inlineBytes
        let attrs = try root.attributeNames()
        guard attrs.contains("format") else {
            throw CheckpointError.notACheckpoint(file: path, reason: "root attribute 'format' is missing")
        }
        guard case .strings([CheckpointFormat.name], []) = try root.readAttribute("format") else {
            throw CheckpointError.notACheckpoint(
                file: path, reason: "root attribute 'format' is \(try root.readAttribute("format")), expected \"ckpt\"")
        }
        guard attrs.contains("format_version") else { throw CheckpointError.missing(file: path, path: "/format_version") }
        let version = try reader.decodeAttribute(try root.readAttribute("format_version"), isTuple: false,
                                                 path: "/format_version")
        guard case .int(CheckpointFormat.version) = version else {
            let found: String = switch version {
            case .int(let i): String(i)
            case .double(let d): String(d)
            case .string(let s): "\"\(s)\""
            default: version.kindName
            }
            throw CheckpointError.unsupportedVersion(file: path, found: found, supported: CheckpointFormat.version)
        }
        var metadata = StateDict()
        let tuplesAttr = attrs.contains(CheckpointFormat.tuplesAttribute)
            ? try root.readAttribute(CheckpointFormat.tuplesAttribute) : .stringArray([])
        guard case .strings(let tupleKeys, _) = tuplesAttr else {
            throw CheckpointError.malformed(file: path, path: "/" + CheckpointFormat.tuplesAttribute,
                                            reason: "expected a string array")
        }
        for name in attrs where !name.hasPrefix(CheckpointFormat.reservedPrefix) {
            metadata[name] = try reader.decodeAttribute(try root.readAttribute(name),
                                                        isTuple: tupleKeys.contains(name), path: "/" + name)
        }
        reader.ignoredAttributes = { p in
            let parts = p.split(separator: "/", omittingEmptySubsequences: true)
            return parts.count == 3 && parts[0] == "optimizer" && parts[1] == "state" ? ["param_name"] : []
        }
        func section(_ name: String, required: Bool = false) throws -> StateDict? {
            guard try root.contains(name) else {
                if required { throw CheckpointError.missing(file: path, path: "/" + name) }
                return nil
            }
            guard case .group = try root.childKind(name) else {
                throw CheckpointError.malformed(file: path, path: "/" + name, reason: "expected a group")
            }
            reader.inlineBytes = name == "progress" ? nil : inlineBytes
            return try reader.read(try root.openGroup(name))
        }
        let model = try section("model", required: true)!
        let checkpoint = Checkpoint(
            metadata: metadata, model: model, optimizer: try section("optimizer"),
            scheduler: try section("scheduler"), progress: try section("progress"), rng: try section("rng"),
            averagedModel: try section("averaged_model"), swaScheduler: try section("swa_scheduler"),
            optimizers: try section("optimizers"))
        reader.inlineBytes = inlineBytes
        try reader.finish()
        try CheckpointValidator(file: path).validate(checkpoint)
        return checkpoint
    }
}
