/// Python's number comparisons. An int and a float compare by their exact values, as
/// CPython's `float_richcompare` does (`2**53 + 1 > 2.0**53` is True although converting the
/// int to a float would round it to 2.0**53); NaN is unordered, so only `!=` holds.
extension LambdaExpression {
    enum Comparing {
        static func compare(_ op: CompareOp, _ a: Value, _ b: Value) -> Bool {
            guard let o = order(a, b) else { return op == .notEqual }
            switch op {
            case .less: return o < 0
            case .lessEqual: return o <= 0
            case .greater: return o > 0
            case .greaterEqual: return o >= 0
            case .equal: return o == 0
            case .notEqual: return o != 0
            }
        }

        /// -1, 0 or 1 as `a` is below, equal to or above `b`; nil when either is NaN.
        static func order(_ a: Value, _ b: Value) -> Int? {
            switch (a.integer, b.integer) {
            case (let x?, let y?): return x < y ? -1 : x == y ? 0 : 1
            case (let x?, nil): return order(x, b.double)
            case (nil, let y?): return order(y, a.double).map { -$0 }
            case (nil, nil):
                let x = a.double, y = b.double
                if x.isNaN || y.isNaN { return nil }
                return x < y ? -1 : x == y ? 0 : 1
            }
        }

        /// An int against a float, exactly: against the float's floor (an int when the float
        /// lies in Int64's range), then its fraction.
        static func order(_ i: Int64, _ d: Double) -> Int? {
            if d.isNaN { return nil }
            if d >= 9_223_372_036_854_775_808.0 { return -1 }  // 2**63 and above, +inf
            if d < -9_223_372_036_854_775_808.0 { return 1 }   // below -2**63, -inf
            let f = d.rounded(.down)
            let t = Int64(f)  // exact: f is an integer in [-2**63, 2**63)
            if i != t { return i < t ? -1 : 1 }
            return f == d ? 0 : -1
        }
    }
}
