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

    public static func load(root: String, train: Bool) throws -> Dataset {
        let names = train ? trainFiles : testFiles
        let dir = try folder(root: root, names: names)
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        for name in names {
            let path = (dir as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ModelError.data("cannot read \(path)")
            }
            guard data.count % recordSize == 0, !data.isEmpty else {
                throw ModelError.data("\(path): \(data.count) bytes is not a whole number of \(recordSize)-byte CIFAR-10 records")
            }
            let records = data.count / recordSize
            pixels.reserveCapacity(pixels.count + records * 3072)
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let b = raw.bindMemory(to: UInt8.self)
                for r in 0..<records {
                    let label = b[r * recordSize]
                    guard label < 10 else {
                        throw ModelError.data("\(path): record \(r) has label \(label), expected 0...9")
                    }
                    labels.append(Int32(label))
                    pixels.append(contentsOf: b[(r * recordSize + 1)..<((r + 1) * recordSize)])
                }
            }
        }
        return Dataset(images: normalise(pixels, shape: [labels.count, 3, 32, 32]), labels: labels,
                       source: "CIFAR-10 \(train ? "train" : "test") at \(dir)")
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
