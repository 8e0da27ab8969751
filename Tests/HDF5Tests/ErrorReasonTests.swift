@testable import HDF5
import Testing

/// HDF5's I/O errors carry a whole report on one line (time, file name, descriptor, buffer
/// address, sizes); messages keep what failed and the system's reason.
@Suite struct ErrorReasonTests {
    @Test func ioFailureIsCondensedToTheSystemMessage() {
        let raw = "file write failed: time = Tue Nov 24 23:02:47 2026 , filename = '/tmp/x/.step-3.h5.partial-1-d9', "
            + "file descriptor = 3, errno = 28, error message = 'No space left on device', buf = 0x7fd5ef695430, "
            + "total write size = 97280, bytes this sub-write = 97280, bytes actually written = 18446744073709551615, offset = 0"
        #expect(condensedReason(raw) == "file write failed: No space left on device")
    }

    @Test(arguments: ["file signature not found", "truncated file: eof = 1, sblock->base_addr = 0", ""])
    func otherReasonsAreKept(reason: String) {
        #expect(condensedReason(reason) == reason)
    }
}
