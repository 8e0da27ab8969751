import ArgumentParser

/// `--json`, shared by every reading command; printed by `Console.printJSON`.
public struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print the same facts as one strict JSON document (key order kept; NaN and ±Infinity as the strings \"NaN\", \"Infinity\", \"-Infinity\").")
    public var json = false

    public init() {}
}
