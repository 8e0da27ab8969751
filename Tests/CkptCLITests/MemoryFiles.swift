import Foundation
import CkptCore
import CkptFormat
@testable import CkptCLI

/// Files for command tests: each name exists on disk (empty) so the commands' file checks
/// pass, and the reader hands back the checkpoint or tree registered for it.
struct MemoryFiles {
    let dir: String
    var checkpoints: [String: Checkpoint] = [:]
    var trees: [String: FileTreeNode] = [:]
    /// Loader errors by path, as the format module would throw them.
    var loadErrors: [String: String] = [:]

    init() {
        dir = NSTemporaryDirectory() + "ckpt-cli-tests-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { dir + "/" + name }

    @discardableResult
    mutating func add(_ name: String, _ c: Checkpoint) -> String {
        let p = path(name)
        FileManager.default.createFile(atPath: p, contents: Data())
        checkpoints[p] = c
        return p
    }

    @discardableResult
    mutating func add(_ name: String, tree: FileTreeNode) -> String {
        let p = path(name)
        FileManager.default.createFile(atPath: p, contents: Data())
        trees[p] = tree
        return p
    }

    @discardableResult
    mutating func add(_ name: String, loadError: String) -> String {
        let p = path(name)
        FileManager.default.createFile(atPath: p, contents: Data())
        loadErrors[p] = loadError
        return p
    }

    struct LoadError: Error, CustomStringConvertible { var description: String }

    var reader: FileReader {
        let checkpoints = checkpoints, trees = trees, loadErrors = loadErrors
        return FileReader(
            isCheckpoint: { p in
                if let e = loadErrors[p] { throw LoadError(description: e) }
                return checkpoints[p] != nil
            },
            loadCheckpoint: { p in
                guard let c = checkpoints[p] else { throw LoadError(description: "\(p): not a checkpoint") }
                return c
            },
            tree: { p in
                guard let t = trees[p] else { throw LoadError(description: "\(p): no tree") }
                return t
            })
    }
}

/// Runs a command's logic with a captured console; returns status (CLIError mapped to its
/// status), stdout and the error message.
func runCommand(_ body: (Console) throws -> CommandStatus) -> (status: CommandStatus, out: String, err: String) {
    let console = Console.capture()
    do {
        let s = try body(console)
        return (s, console.output, console.errors)
    } catch let e as CLIError {
        return (e.status, console.output, e.message)
    } catch {
        return (.badInput, console.output, "unexpected error \(error)")
    }
}
