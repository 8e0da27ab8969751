import Testing
@testable import HDF5

@Test func moduleLoads() { #expect(Bool(true)) }
