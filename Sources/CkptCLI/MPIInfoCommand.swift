import ArgumentParser
import Ckpt

#if CKPT_MPI
/// `ckpt mpi-info` (MPI flavour only): each rank prints its rank and the world size, so
/// `mpirun -n N ckpt mpi-info` shows the binary really runs as N ranks of one world.
struct MPIInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi-info", abstract: "Print this process's MPI rank, the world size and the MPI library (MPI build only).")

    @Flag(help: "Also run an Allgatherv and check every rank received every rank's values in rank order.")
    var check = false

    func run() throws {
        let world = try MPIWorld.shared()
        if check {
            let mine = [Float](repeating: Float(world.rank), count: world.rank + 1)
            let all = try world.allgatherv(mine)
            let expected = (0..<world.size).flatMap { [Float](repeating: Float($0), count: $0 + 1) }
            guard all == expected else { throw ValidationError("allgatherv: rank \(world.rank) got \(all), expected \(expected)") }
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
