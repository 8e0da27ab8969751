import Testing
@testable import Ckpt

@Test func moduleLoads() { #expect(Bool(true)) }
