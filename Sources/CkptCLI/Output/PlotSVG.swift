/// Renders `ckpt plot`'s charts as one SVG document.
enum PlotSVG {
    static func render(_ history: PlotHistory, title: String) -> String {
        ""  // wired to SVGChart once it lands
    }
}
