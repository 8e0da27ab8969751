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
}
