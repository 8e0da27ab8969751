import Testing
@testable import CkptCLI

@Test func moduleLoads() { #expect(Bool(true)) }
