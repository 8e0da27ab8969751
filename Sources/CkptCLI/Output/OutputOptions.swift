import ArgumentParser

/// `--json`, shared by every reading command.
public struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print the same facts as one JSON document (key order kept, NaN and Infinity spelled as Python's json module does).")
    public var json = false

    public init() {}
}
