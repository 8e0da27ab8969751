import ArgumentParser
import Ckpt

#if CKPT_MPI
/// `ckpt mpi-info` (MPI flavour only): each rank prints its rank and the world size, so
/// `mpirun -n N ckpt mpi-info` shows the binary really runs as N ranks of one world.
struct MPIInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi-info", abstract: "Print this process's MPI rank, the world size and the MPI library (MPI build only).")

    @Flag(help: "Also run an Allgatherv and a gather to rank 0 in messages of 4 bytes, and check every rank's values arrived in rank order.")
    var check = false

    func run() throws {
        let world = try MPIWorld.shared()
        if check {
            let mine = [Float](repeating: Float(world.rank), count: world.rank + 1)
            let all = try world.allgatherv(mine)
            let expected = (0..<world.size).flatMap { [Float](repeating: Float($0), count: $0 + 1) }
            guard all == expected else { throw ValidationError("allgatherv: rank \(world.rank) got \(all), expected \(expected)") }
            // Uneven parts (rank r sends 3r + 5 bytes), several messages each.
            let parts = try world.gatherBytes([UInt8](repeating: UInt8(world.rank), count: 3 * world.rank + 5), root: 0, messageBytes: 4)
            let wanted = world.isRoot ? (0..<world.size).map { [UInt8](repeating: UInt8($0), count: 3 * $0 + 5) } : []
            guard parts == wanted else { throw ValidationError("gather: rank \(world.rank) got \(parts), expected \(wanted)") }
        }
        try world.barrier()
        print("rank \(world.rank) of \(world.size)\(world.isRoot ? " (" + MPIWorld.libraryVersion + ")" : "")")
    }
}

/// The subcommands only the MPI flavour has.
let distributedSubcommands: [ParsableCommand.Type] = [MPIInfoCommand.self]
#else
let distributedSubcommands: [ParsableCommand.Type] = []
#endif
