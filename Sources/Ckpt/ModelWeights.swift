import Foundation
import HDF5

/// Model weights from an HDF5 file for `ckpt train --init-from`: a ckpt checkpoint, or any
/// HDF5 file (h5py, Keras, ...) whose `/model` group holds one dataset per parameter, named
/// as PyTorch names them (`f["model/conv1.weight"] = w` in h5py). Subgroups join with dots
/// (`/model/conv1/weight` is `conv1.weight`). float32, float64 and float16 datasets are read;
/// other types are errors naming the dataset.
public enum ModelWeights {
    public static func load(_ path: String) throws -> StateDict {
        guard FileManager.default.fileExists(atPath: path) else { throw RunError.file(path, "no such file") }
        do {
            return try CheckpointFile.load(path).model
        } catch CheckpointError.notACheckpoint {
            return try loadForeign(path)
        }
    }

    static func loadForeign(_ path: String) throws -> StateDict {
        let file: HDF5File
        do { file = try ForeignFile.open(path, manifestVerified: false) } catch let e as HDF5Error {
            throw RunError.file(path, "cannot open as HDF5: \(e.reason)")
        }
        defer { try? file.close() }
        do {
            let root = try file.root()
            guard try root.contains("model"), case .group = try root.childKind("model") else {
                throw RunError.file(path, "/model: missing (expected a group with one dataset per parameter, e.g. /model/conv1.weight)")
            }
            var out = StateDict()
            try read(try root.openGroup("model"), prefix: "", path: path, into: &out, depth: 0)
            return out
        } catch let e as HDF5Error {
            throw RunError.file(path, "\(e.path): \(e.reason)")
        }
    }

    private static func read(_ group: HDF5Group, prefix: String, path: String, into out: inout StateDict, depth: Int) throws {
        guard depth < 32 else { throw RunError.file(path, "/model/\(prefix): nested too deep") }
        for name in try group.childNames() {
            let key = prefix.isEmpty ? name : prefix + "." + name
            switch try group.childKind(name) {
            case .group:
                try read(try group.openGroup(name), prefix: key, path: path, into: &out, depth: depth + 1)
            case .dataset:
                let ds = try group.openDataset(name)
                guard let shape = try ds.shape() else { throw RunError.file(path, "/model/\(key): empty dataspace") }
                let values: [Float]
                switch try ds.elementType() {
                case .float32?, .float16?:
                    values = try ds.read(as: Float.self)
                case .float64?:
                    values = try ds.read(as: Double.self).map { Float($0) }
                default:
                    throw RunError.file(path, "/model/\(key): \(try ds.typeDescription()), expected a floating-point dataset")
                }
                do { out[key] = .tensor(try TensorData(validating: shape, storage: .float32(values))) } catch {
                    throw RunError.file(path, "/model/\(key): \(error)")
                }
            default:
                continue
            }
        }
    }
}
