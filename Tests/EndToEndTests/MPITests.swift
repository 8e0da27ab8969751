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
}
