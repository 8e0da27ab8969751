import CkptCore
import HDF5

/// Loads a labelled dataset from an HDF5 file:
/// - `/images`: uint8 `[N, ...]` (e.g. `[N, 3, 32, 32]`), normalised exactly as torchvision's
///   `ToTensor()` + `Normalize((0.5,)*3, (0.5,)*3)` do in float32: `(x / 255 - 0.5) / 0.5`;
///   or float32 `[N, ...]`, used as is.
/// - `/labels`: int64 (or int32) `[N]`, each in `0..<classCount` when `classCount` is given,
///   else non-negative.
/// Shapes, dtypes and sizes are checked before anything is allocated; errors are
/// `CheckpointError` values naming the file and dataset. The file is read by a forked
/// child that hands back a rebuilt copy (`ForeignFile`), so a libhdf5 crash on a crafted file
/// is an error too.
public enum DataFile {
    public static func load(path: String, classCount: Int? = nil) throws -> Dataset {
        let file: HDF5File
        // Data files carry no manifest: libhdf5 may crash on them, so only a copy is parsed here.
        do { file = try ForeignFile.open(path, rejectingMismatch: false) } catch let e as HDF5Error {
            throw CheckpointError.unreadable(file: path, path: "/", reason: e.reason)
        }
        defer { try? file.close() }
        do {
            let root = try file.root()
            for name in ["images", "labels"] {
                guard try root.contains(name) else { throw CheckpointError.missing(file: path, path: "/" + name) }
                guard case .dataset = try root.childKind(name) else {
                    throw CheckpointError.malformed(file: path, path: "/" + name, reason: "expected a dataset")
                }
            }
            let imagesDS = try root.openDataset("images")
            let labelsDS = try root.openDataset("labels")
            guard let shape = try imagesDS.shape(), shape.count >= 2 else {
                throw CheckpointError.malformed(file: path, path: "/images",
                                                reason: "expected shape [N, ...] with at least 2 dimensions, found \(try imagesDS.shape().map { "\($0)" } ?? "null")")
            }
            guard let lshape = try labelsDS.shape(), lshape.count == 1 else {
                throw CheckpointError.malformed(file: path, path: "/labels",
                                                reason: "expected shape [N], found \(try labelsDS.shape().map { "\($0)" } ?? "null")")
            }
            guard lshape[0] == shape[0] else {
                throw CheckpointError.malformed(file: path, path: "/labels",
                                                reason: "\(lshape[0]) labels for \(shape[0]) images (/images is \(shape))")
            }
            let images: [Float]
            switch try imagesDS.elementType() {
            case .uint8?:
                let t = try readTensorData(imagesDS, shape: shape, dtype: .uint8)
                guard case .uint8(let bytes) = t.storage else { throw CheckpointError.malformed(file: path, path: "/images", reason: "internal dtype mismatch") }
                images = bytes.map { (Float($0) / 255 - 0.5) / 0.5 }
            case .float32?:
                let t = try readTensorData(imagesDS, shape: shape, dtype: .float32)
                guard case .float32(let f) = t.storage else { throw CheckpointError.malformed(file: path, path: "/images", reason: "internal dtype mismatch") }
                images = f
            default:
                throw CheckpointError.malformed(file: path, path: "/images",
                                                reason: "expected uint8 or float32, found \(try imagesDS.typeDescription())")
            }
            let rawLabels: [Int64]
            switch try labelsDS.elementType() {
            case .int64?, .int32?:
                try labelsDS.checkPlausible(byteCount: lshape[0] * 8)
                rawLabels = try labelsDS.read(as: Int64.self)
            default:
                throw CheckpointError.malformed(file: path, path: "/labels",
                                                reason: "expected int64 labels, found \(try labelsDS.typeDescription())")
            }
            var labels = [Int32]()
            labels.reserveCapacity(rawLabels.count)
            for (i, l) in rawLabels.enumerated() {
                let upper = Int64(classCount ?? Int(Int32.max))
                guard l >= 0, l < upper else {
                    let range = classCount.map { "0..<\($0)" } ?? "0..<2^31"
                    throw CheckpointError.malformed(file: path, path: "/labels",
                                                    reason: "label \(l) at index \(i) is outside \(range)")
                }
                labels.append(Int32(l))
            }
            return Dataset(images: Tensor(shape: shape, storage: images), labels: labels, source: "HDF5 data file \(path)")
        } catch let e as HDF5Error {
            throw CheckpointError(e)
        }
    }
}
