/// Errors of the run API; each names the file or the section and what to do.
public enum RunError: Error, CustomStringConvertible, Equatable {
    /// `path`: what is wrong with the file.
    case file(String, String)
    /// A saved section does not fit what the config builds (names, shapes, group sizes).
    case mismatch(String)
    /// A config value that cannot be used (missing data, sizes that do not fit).
    case config(String)

    public var description: String {
        switch self {
        case .file(let path, let message): "\(path): \(message)"
        case .mismatch(let message): message
        case .config(let message): message
        }
    }
}
