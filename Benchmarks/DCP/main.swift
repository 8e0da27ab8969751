// bench-dcp: ckpt's side of the DCP benchmark: reads a PyTorch Distributed Checkpoint
// directory whole (`.metadata`, every chunk, tensors assembled: `DCPDirectory.read`), once per
// process, and prints one line:
//   ckpt op=read_dcp bytes=B seconds=S
// usage: bench-dcp DIR
import Ckpt
import Foundation
// As every ckpt command does first: OpenBLAS's idle worker would spin on the other core.
Compute.pinBLAS()

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write("usage: bench-dcp DIR\n".data(using: .utf8)!)
    exit(2)
}
let dir = CommandLine.arguments[1]

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

let start = now()
let (value, _) = try DCPDirectory.read(dir)
let seconds = now() - start
var bytes = 0
func walk(_ v: StateValue) {
    switch v {
    case .tensor(let t): bytes += t.byteCount
    case .dict(let d): d.entries.values.forEach(walk)
    case .list(let l), .tuple(let l): l.forEach(walk)
    default: break
    }
}
walk(value)
print("ckpt op=read_dcp bytes=\(bytes) seconds=\(seconds)")
