import CkptCore
import Foundation
import Testing

/// `JSON.parse(contentsOf:)`, the reader of run and schedule configs: bounded before reading.
@Suite struct JSONFileTests {
    private func temporary(_ name: String) -> String {
        NSTemporaryDirectory() + "ckpt-json-\(UUID().uuidString)-\(name)"
    }

    @Test func readsAConfig() throws {
        let path = temporary("cfg.json")
        defer { unlink(path) }
        try Data(#"{"epochs": 2, "lr": 0.5}"#.utf8).write(to: URL(fileURLWithPath: path))
        let value = try JSON.parse(contentsOf: path)
        #expect(value.dictValue?["epochs"] == .int(2) && value.dictValue?["lr"] == .double(0.5))
    }

    /// A 200 MB config took 2.2 GiB to parse; past the limit it is refused from its size alone.
    @Test func oversizedFileIsRefusedBeforeReading() throws {
        let path = temporary("big.json")
        defer { unlink(path) }
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        #expect(fd >= 0)
        #expect(ftruncate(fd, 200 << 20) == 0)  // sparse: nothing is written or read
        close(fd)
        #expect(throws: JSON.FileError(message: "the file is 209715200 bytes, more than the 1048576 a JSON config may hold (a config is a few hundred bytes): is this the right file?")) {
            try JSON.parse(contentsOf: path)
        }
        // The limit is the caller's: a smaller one refuses a small file the same way.
        try Data("[1, 2, 3]".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: JSON.FileError.self) { try JSON.parse(contentsOf: path, maxBytes: 4) }
        #expect(try JSON.parse(contentsOf: path, maxBytes: 9) == .list([.int(1), .int(2), .int(3)]))
    }

    @Test func fifoIsRefusedWithoutBlocking() throws {
        let path = temporary("fifo")
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        #expect(throws: JSON.FileError(message: "not a regular file (a FIFO, device or socket)")) {
            try JSON.parse(contentsOf: path)
        }
    }

    @Test func missingAndNonUTF8FilesAreNamed() throws {
        #expect(throws: JSON.FileError(message: "no such file")) { try JSON.parse(contentsOf: "/nonexistent/cfg.json") }
        let path = temporary("latin1.json")
        defer { unlink(path) }
        try Data([0x22, 0xE9, 0x22]).write(to: URL(fileURLWithPath: path))
        #expect(throws: JSON.FileError(message: "not UTF-8 text")) { try JSON.parse(contentsOf: path) }
    }
}
