import CkptTestSupport
import Foundation
import Testing

/// The MPI flavour (`make mpi`, docs/MPI.md) run as N ranks under OpenMPI's `mpirun`. Skipped
/// when `mpirun` or `.build-mpi/release/ckpt` is missing (`make test` builds the latter first).
enum MPIRun {
    static let binary: String? = {
        let p = Repository.path(".build-mpi/release/ckpt")
        return FileManager.default.isExecutableFile(atPath: p) ? p : nil
    }()
    static let mpirun: String? = Tools.find("mpirun")
    static let available = binary != nil && mpirun != nil

    /// `mpirun -n ranks ckpt args`; more ranks than cores need `--oversubscribe`, and root
    /// needs OpenMPI's two consent variables (read by mpirun, not by ckpt).
    static func run(ranks: Int, _ args: [String], in dir: String) throws -> Subprocess.Result {
        try Subprocess.run(mpirun!, ["-n", "\(ranks)", "--oversubscribe", binary!] + args, in: dir,
                           environment: ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"])
    }
}

@Suite("MPI flavour", .enabled(if: MPIRun.available, "mpirun or .build-mpi/release/ckpt is missing (make mpi)"))
struct MPITests {
    @Test("every rank joins one world and Allgatherv keeps rank order", arguments: [1, 2, 3])
    func worldAndAllgatherv(ranks: Int) throws {
        let r = try MPIRun.run(ranks: ranks, ["mpi-info", "--check"], in: NSTemporaryDirectory())
        #expect(r.status == 0, "\(r.output)")
        let lines = r.stdout.split(separator: "\n").map(String.init).sorted()
        #expect(lines.count == ranks, "\(r.output)")
        for rank in 0..<ranks {
            #expect(lines.contains { $0.hasPrefix("rank \(rank) of \(ranks)") }, "\(r.output)")
        }
    }

    /// Parallel libhdf5 and libmpi must not change a single-process run: the flavour under
    /// `mpirun -n 1` writes the same checkpoint bits as the serial `ckpt` (`ckpt diff` exit 0).
    @Test("the flavour trains and saves the serial build's bits", .enabled(if: BuiltProducts.ckpt != nil, "ckpt is not built"))
    func sameBitsAsSerial() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-serial-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = """
            {"model": {"type": "mlp", "sizes": [3072, 16, 10]},
             "data": {"dataset": "synthetic", "train_size": 64, "test_size": 32, "batch_size": 8},
             "optimizer": {"type": "Adam", "lr": 0.01}, "epochs": 2}
            """
        try config.write(toFile: dir + "/cfg.json", atomically: true, encoding: .utf8)
        let serial = try Subprocess.run(BuiltProducts.ckpt!, ["train", "--config", "cfg.json", "--out", "s"], in: dir)
        #expect(serial.status == 0, "\(serial.output)")
        let flavour = try MPIRun.run(ranks: 1, ["train", "--config", "cfg.json", "--out", "m"], in: dir)
        #expect(flavour.status == 0, "\(flavour.output)")
        let diff = try Subprocess.run(BuiltProducts.ckpt!, ["diff", "s/epoch-2.h5", "m/epoch-2.h5"], in: dir)
        #expect(diff.status == 0, "\(diff.output)")
        let verify = try MPIRun.run(ranks: 1, ["verify", "m/epoch-2.h5"], in: dir)
        #expect(verify.status == 0, "\(verify.output)")
    }
    static func scratch(_ name: String) throws -> String { makeScratchDirectory("mpi-" + name) }

    static let lenet = """
        {"model": {"type": "lenet"},
         "data": {"dataset": "synthetic", "train_size": 100, "test_size": 24, "batch_size": 20},
         "optimizer": {"type": "Adam", "lr": 0.01}, "scheduler": {"type": "StepLR", "step_size": 1, "gamma": 0.5},
         "checkpoint": {"every_steps": 3}, "epochs": 2}
        """
    static let mlp = """
        {"model": {"type": "mlp", "sizes": [3072, 48, 32, 10]},
         "data": {"dataset": "synthetic", "train_size": 96, "test_size": 24, "batch_size": 16},
         "optimizer": {"type": "SGD", "lr": 0.05, "momentum": 0.9, "nesterov": true},
         "checkpoint": {"every_steps": 4}, "epochs": 2}
        """

    /// Data-parallel training is exact: LeNet (convolutions split by chunk) and an MLP (sharded
    /// optimizer state) on 2 and 3 ranks write every checkpoint bit for bit as one process does.
    @Test("N ranks write the single process's checkpoints", .enabled(if: BuiltProducts.ckpt != nil, "ckpt is not built"),
          arguments: [("lenet", 2), ("lenet", 3), ("mlp", 2), ("mlp", 3)])
    func ranksMatchOneProcess(model: String, ranks: Int) throws {
        let dir = try Self.scratch("train")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try (model == "lenet" ? Self.lenet : Self.mlp).write(toFile: dir + "/cfg.json", atomically: true, encoding: .utf8)
        let serial = try Subprocess.run(BuiltProducts.ckpt!, ["train", "--config", "cfg.json", "--out", "one"], in: dir)
        #expect(serial.status == 0, "\(serial.output)")
        let parallel = try MPIRun.run(ranks: ranks, ["train", "--config", "cfg.json", "--out", "many", "--json"], in: dir)
        #expect(parallel.status == 0, "\(parallel.output)")
        // Rank 0 alone prints: one JSON object, with each rank's optimizer state.
        let report = try JSONSerialization.jsonObject(with: Data(parallel.stdout.utf8)) as? [String: Any]
        let perRank = report?["optimizer_state_bytes_per_rank"] as? [Int] ?? []
        #expect(perRank.count == ranks, "\(parallel.stdout)")
        // Sharded state is written by its owners into one file (parallel HDF5), not gathered.
        #expect(report?["checkpoint_writers"] as? String == "every rank", "\(parallel.stdout)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/one").filter { $0.hasSuffix(".h5") }.sorted()
        #expect(files.count >= 4)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/many").filter { $0.hasSuffix(".h5") }.sorted() == files)
        for f in files {
            let diff = try Subprocess.run(BuiltProducts.ckpt!, ["diff", "one/" + f, "many/" + f], in: dir)
            #expect(diff.status == 0, "\(f) on \(ranks) ranks: \(diff.output)")
        }
    }

    /// With `--async-save` rank 0 writes the gathered state in the background: same bits.
    @Test("async saves under 2 ranks", .enabled(if: BuiltProducts.ckpt != nil, "ckpt is not built"))
    func asyncSaves() throws {
        let dir = try Self.scratch("async")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.lenet.write(toFile: dir + "/cfg.json", atomically: true, encoding: .utf8)
        let serial = try Subprocess.run(BuiltProducts.ckpt!, ["train", "--config", "cfg.json", "--out", "one"], in: dir)
        #expect(serial.status == 0, "\(serial.output)")
        let parallel = try MPIRun.run(ranks: 2, ["train", "--config", "cfg.json", "--out", "many", "--async-save", "--json"], in: dir)
        #expect(parallel.status == 0, "\(parallel.output)")
        #expect(parallel.stdout.contains("\"checkpoint_writers\" : \"rank 0\"") || parallel.stdout.contains("\"checkpoint_writers\": \"rank 0\""), "\(parallel.stdout)")
        for f in ["step-6.h5", "epoch-2.h5"] {
            let diff = try Subprocess.run(BuiltProducts.ckpt!, ["diff", "one/" + f, "many/" + f], in: dir)
            #expect(diff.status == 0, "\(f): \(diff.output)")
        }
    }

    /// A checkpoint written by 2 ranks resumes on 1 and on 3 ranks and ends bit for bit where the
    /// uninterrupted single-process run ends (`resume --verify`).
    @Test("a 2-rank checkpoint resumes on 1 and 3 ranks", .enabled(if: BuiltProducts.ckpt != nil, "ckpt is not built"),
          arguments: [1, 3])
    func reshardOnResume(ranks: Int) throws {
        let dir = try Self.scratch("resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.lenet.write(toFile: dir + "/cfg.json", atomically: true, encoding: .utf8)
        let serial = try Subprocess.run(BuiltProducts.ckpt!, ["train", "--config", "cfg.json", "--out", "one"], in: dir)
        #expect(serial.status == 0, "\(serial.output)")
        let two = try MPIRun.run(ranks: 2, ["train", "--config", "cfg.json", "--out", "two"], in: dir)
        #expect(two.status == 0, "\(two.output)")
        let resumed = try MPIRun.run(ranks: ranks, ["resume", "two/step-6.h5", "--out", "again", "--verify", "one/epoch-2.h5"], in: dir)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.stdout.contains("bit-identical"), "\(resumed.output)")
    }
}

