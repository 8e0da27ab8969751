import Testing
@testable import CkptCore

@Test func moduleLoads() { #expect(Bool(true)) }
