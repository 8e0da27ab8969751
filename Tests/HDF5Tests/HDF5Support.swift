import Foundation
import HDF5

func scratchDirectory() -> String {
    let dir = NSTemporaryDirectory() + "hdf5-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

let fixturesDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path + "/fixtures/h5py"
}()

/// Runs `python3 -c script args...`; nil when python3 or h5py is missing.
func runH5py(_ script: String, _ args: [String]) -> (status: Int32, output: String)? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import h5py"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return nil }
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { return nil }
    let q = Process()
    q.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    q.arguments = ["python3", "-c", script] + args
    let pipe = Pipe()
    q.standardOutput = pipe
    q.standardError = pipe
    guard (try? q.run()) != nil else { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    q.waitUntilExit()
    return (q.terminationStatus, String(decoding: data, as: UTF8.self))
}
