import ArgumentParser
import Ckpt
import Foundation

/// The job `ckpt train` and `ckpt resume` are one rank of: under `mpirun -n N` (N > 1) with the
/// MPI flavour, the run trains data-parallel over the N ranks (`Run.distribute(over:)`), rank 0
/// alone prints, takes the run directory and writes the checkpoints. Anywhere else it is nil and
/// nothing changes.
enum MPIJob {
    /// The ranks of this job, or nil when this process trains alone.
    static func ranks() throws -> RankGroup? {
        #if CKPT_MPI
        let world = try MPIWorld.shared()
        return world.size > 1 ? world : nil
        #else
        return nil
        #endif
    }

    /// Runs a command's `body` as one rank of `ranks`. An error on any rank ends the whole job
    /// (MPI_Abort with the error's status): the other ranks would otherwise wait forever in
    /// their next collective call.
    static func run(_ command: String, ranks: RankGroup?, console: Console,
                    _ body: () throws -> CommandStatus) throws -> CommandStatus {
        guard let ranks else { return try body() }
        do {
            return try body()
        } catch let e as ExitCode {
            throw e
        } catch {
            console.printError(CommandRunner.line(command, error) + " (rank \(ranks.rank) of \(ranks.size): ending every rank)")
            #if CKPT_MPI
            MPIWorld.abort(CommandRunner.status(for: error).rawValue)
            #else
            throw error
            #endif
        }
    }
}
