import Foundation

/// The data of a run built from a `RunConfig`.
enum RunData {
    /// Loads the train and test sets; resolves the CIFAR-10 → synthetic fallback in `config`.
    static func loadData(_ config: inout RunConfig) throws -> (train: Dataset, test: Dataset?) {
        let d = config.data
        /// The CIFAR-10 files are in `root` or in the archive's `cifar-10-batches-bin` subfolder.
        func cifarPresent(_ names: [String]) -> Bool {
            [d.root, (d.root as NSString).appendingPathComponent("cifar-10-batches-bin")].contains { dir in
                names.allSatisfy { FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent($0)) }
            }
        }
        if d.dataset == .cifar10 {
            let present = cifarPresent(CIFAR10.trainFiles)
            if !present {
                guard d.datasetIsDefault else {
                    throw RunError.config("data.root: no CIFAR-10 binaries under \(d.root) (put data_batch_1.bin ... data_batch_5.bin and test_batch.bin from the CIFAR-10 binary version there, or use \"dataset\": \"synthetic\")")
                }
                config.data.dataset = .synthetic
            }
            config.data.datasetIsDefault = false
        }
        switch config.data.dataset {
        case .cifar10:
            let train = try CIFAR10.load(root: d.root, train: true)
            return (train, cifarPresent(CIFAR10.testFiles) ? try CIFAR10.load(root: d.root, train: false) : nil)
        case .hdf5:
            for (key, path) in [("data.path", d.path), ("data.test_path", d.testPath)] {
                if let path, !FileManager.default.fileExists(atPath: path) {
                    throw RunError.config("\(key): \(path): no such file")
                }
            }
            let train = try DataFile.load(path: d.path ?? "")
            return (train, try d.testPath.map { try DataFile.load(path: $0) })
        case .synthetic:
            let (train, test) = Synthetic.make(trainSize: d.trainSize, testSize: d.testSize, seed: config.seed)
            return (train, d.testSize > 0 ? test : nil)
        }
    }
}
