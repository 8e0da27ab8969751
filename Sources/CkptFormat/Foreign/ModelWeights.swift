#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CkptCore
import HDF5

/// Model weights from an HDF5 file for `ckpt train --init-from`: a ckpt checkpoint's `model`
/// section, or any HDF5 file (h5py, Keras, ...) whose `/model` group holds one dataset per
/// parameter, named as PyTorch names them (`f["model/conv1.weight"] = w` in h5py). Subgroups
/// join with dots (`/model/conv1/weight` is `conv1.weight`), as `state_dict()` keys do.
/// float32, float64 and float16 datasets are read as float32 (the model's dtype, as
/// `load_state_dict` copies into float32 parameters); other types are errors naming the
/// dataset.
///
/// A foreign file is parsed only as the copy an isolated child rebuilt (`ForeignFile`), so a
/// libhdf5 crash on it is a `CheckpointError.unreadable`. Errors are `CheckpointError` values
/// naming the file and the object's path.
public enum ModelWeights {
    public static func load(_ path: String) throws -> StateDict {
        guard access(path, F_OK) == 0 else {
            throw CheckpointError.unreadable(file: path, path: "/", reason: "no such file")
        }
        do {
            return try CheckpointFile.load(path).model
        } catch CheckpointError.notACheckpoint {
            return try loadForeign(path)
        }
    }

    /// Objects below `/model` deeper than this are refused (a hostile file's nesting).
    static let maxDepth = 32

    static func loadForeign(_ path: String) throws -> StateDict {
        let file: HDF5File
        do { file = try ForeignFile.open(path, rejectingMismatch: false) } catch let e as HDF5Error {
            throw CheckpointError.unreadable(file: path, path: "/", reason: "cannot open as HDF5: \(e.reason)")
        }
        defer { try? file.close() }
        do {
            let root = try file.root()
            guard try root.contains("model"), case .group = try root.childKind("model") else {
                throw CheckpointError.malformed(
                    file: path, path: "/model",
                    reason: "missing (expected a group with one dataset per parameter, e.g. /model/conv1.weight)")
            }
            var out = StateDict()
            try read(try root.openGroup("model"), prefix: "", file: path, into: &out, depth: 0)
            return out
        } catch let e as HDF5Error {
            throw CheckpointError(e)
        }
    }

    private static func read(_ group: HDF5Group, prefix: String, file: String, into out: inout StateDict, depth: Int) throws {
        guard depth < maxDepth else {
            throw CheckpointError.malformed(file: file, path: group.path, reason: "nested deeper than \(maxDepth) levels")
        }
        for name in try group.childNames() {
            let key = prefix.isEmpty ? name : prefix + "." + name
            switch try group.childKind(name) {
            case .group:
                try read(try group.openGroup(name), prefix: key, file: file, into: &out, depth: depth + 1)
            case .dataset:
                let ds = try group.openDataset(name)
                guard let shape = try ds.shape() else {
                    throw CheckpointError.malformed(file: file, path: ds.path, reason: "empty dataspace")
                }
                let values: [Float]
                switch try ds.elementType() {
                case .float32?, .float16?:
                    values = try ds.read(as: Float.self)
                case .float64?:
                    values = try ds.read(as: Double.self).map { Float($0) }
                default:
                    throw CheckpointError.malformed(file: file, path: ds.path,
                                                    reason: "\(try ds.typeDescription()), expected a floating-point dataset")
                }
                do { out[key] = .tensor(try TensorData(validating: shape, storage: .float32(values))) } catch {
                    throw CheckpointError.malformed(file: file, path: ds.path, reason: "\(error)")
                }
            default:
                continue
            }
        }
    }
}
