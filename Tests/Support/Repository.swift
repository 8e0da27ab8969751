import Foundation

/// The checkout the tests run from, found from this file's path (Tests/Support/ is two levels
/// below the root), so fixtures and scripts are found whatever the working directory is.
public enum Repository {
    public static let root: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// `relative` (e.g. "fixtures/h5py/types.h5") under the repository root.
    public static func path(_ relative: String) -> String { root + "/" + relative }
}
