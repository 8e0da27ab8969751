import Testing
@testable import CkptFormat

@Test func moduleLoads() { #expect(Bool(true)) }
