import Foundation

/// The CIFAR-10 binary version (https://www.cs.toronto.edu/~kriz/cifar.html, "binary version").
///
/// `root` holds `data_batch_1.bin` ... `data_batch_5.bin` (train, 50,000 images) and
/// `test_batch.bin` (10,000), directly or in a `cifar-10-batches-bin` subfolder (as the
/// archive unpacks). Each record is 1 label byte and 3,072 pixel bytes (1,024 red, 1,024 green,
/// 1,024 blue, row-major): exactly `[3, 32, 32]` CHW. Pixels are normalised as the seed's
/// `ToTensor()` + `Normalize((0.5,)*3, (0.5,)*3)`: `(p / 255 - 0.5) / 0.5` in float32.
/// There is no download: a missing file is an error saying where to put which files.
public enum CIFAR10 {
    public static let recordSize = 1 + 3072
    public static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    public static let testFiles = ["test_batch.bin"]

    /// Records in each file of the binary version. A file holding more is not a CIFAR-10
    /// batch file, and is refused before it is read (so a wrong path cannot make the loader
    /// allocate without bound).
    static let maxRecordsPerFile = 10_000

    /// Loads the training (`data_batch_1...5.bin`) or test (`test_batch.bin`) set. Every file is
    /// checked before its records are used: a file (not a directory) of 1...`maxRecordsPerFile` whole
    /// `recordSize`-byte records, labels in 0...9; errors are `ModelError.data` naming the file.
    public static func load(root: String, train: Bool) throws -> Dataset {
        let names = train ? trainFiles : testFiles
        let dir = try folder(root: root, names: names)
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        for name in names {
            let path = (dir as NSString).appendingPathComponent(name)
            let bytes = try readBatch(path)
            let records = bytes.count / recordSize
            pixels.reserveCapacity(pixels.count + records * (recordSize - 1))
            labels.reserveCapacity(labels.count + records)
            for r in 0..<records {
                let at = r * recordSize
                let label = bytes[at]
                guard label < 10 else {
                    throw ModelError.data("\(path): record \(r) (byte \(at)) has label \(label), expected 0...9")
                }
                labels.append(Int32(label))
                pixels.append(contentsOf: bytes[(at + 1)..<(at + recordSize)])
            }
        }
        return Dataset(images: normalise(pixels, shape: [labels.count, 3, 32, 32]), labels: labels,
                       source: "CIFAR-10 \(train ? "train" : "test") at \(dir)")
    }

    /// The bytes of one batch file, whose size is checked before it is read.
    static func readBatch(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let handle = FileHandle(forReadingAtPath: path)
        else { throw ModelError.data("cannot read \(path): not a readable file") }
        defer { try? handle.close() }
        let data: Data
        do {
            let size = try handle.seekToEnd()
            try checkSize(size, path)
            try handle.seek(toOffset: 0)
            data = try handle.read(upToCount: Int(size)) ?? Data()
            guard data.count == Int(size) else {
                throw ModelError.data("\(path): read \(data.count) of \(size) bytes (the file changed while being read?)")
            }
        } catch let e as ModelError {
            throw e
        } catch {
            throw ModelError.data("cannot read \(path): \(error.localizedDescription)")
        }
        return [UInt8](data)
    }

    /// A batch file holds 1...`maxRecordsPerFile` whole records.
    static func checkSize(_ size: UInt64, _ path: String) throws {
        let record = UInt64(recordSize)
        guard size > 0 else { throw ModelError.data("\(path): empty file, expected \(recordSize)-byte CIFAR-10 records") }
        guard size % record == 0 else {
            throw ModelError.data("""
                \(path): \(size) bytes is not a whole number of \(recordSize)-byte CIFAR-10 records \
                (\(size / record) records and \(size % record) bytes over)
                """)
        }
        guard size / record <= UInt64(maxRecordsPerFile) else {
            throw ModelError.data("\(path): \(size / record) records, more than the \(maxRecordsPerFile) of a CIFAR-10 batch file")
        }
    }

    /// ToTensor + Normalize(0.5, 0.5) on uint8 pixels, in float32 as torchvision computes it:
    /// `x = p / 255`, then `(x - 0.5) / 0.5`.
    public static func normalise(_ pixels: [UInt8], shape: [Int]) -> Tensor {
        var out = [Float](repeating: 0, count: pixels.count)
        for i in 0..<pixels.count {
            let x = Float(pixels[i]) / 255
            out[i] = (x - 0.5) / 0.5
        }
        return Tensor(shape: shape, storage: out)
    }

    private static func folder(root: String, names: [String]) throws -> String {
        let fm = FileManager.default
        for dir in [root, (root as NSString).appendingPathComponent("cifar-10-batches-bin")] {
            if names.allSatisfy({ fm.fileExists(atPath: (dir as NSString).appendingPathComponent($0)) }) { return dir }
        }
        let missing = names.filter { !fm.fileExists(atPath: (root as NSString).appendingPathComponent($0)) }
        throw ModelError.data("""
            CIFAR-10 not found at \(root): missing \(missing.joined(separator: ", ")). \
            Download the binary version (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html \
            and unpack it so that \(root)/data_batch_1.bin ... data_batch_5.bin and test_batch.bin exist \
            (a cifar-10-batches-bin subfolder also works).
            """)
    }
}
