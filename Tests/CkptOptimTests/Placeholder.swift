import Testing
@testable import CkptOptim

@Test func moduleLoads() { #expect(Bool(true)) }
