extension LBFGS.Run {
    /// What the line search found: the loss and flat gradient at the chosen step `t`, and the
    /// number of closure calls it made.
    struct LineSearchResult {
        var loss: PyScalar
        var grad: [Float]
        var t: PyScalar
        var evals: Int
    }

    /// PyTorch's `_strong_wolfe` (c1 = 1e-4, c2 = 0.9, tolerance_change = 1e-9, at most
    /// `maxLS` evaluations): bracket a step satisfying the strong Wolfe conditions, then zoom
    /// in by cubic interpolation. Parameters are back at `x` when it returns.
    func strongWolfe(x: [[Float]], t start: PyScalar, d: [Float], f: PyScalar, g: [Float], gtd: PyScalar,
                     maxLS: Int) throws -> LineSearchResult {
        let c1: PyScalar = 1e-4, c2: PyScalar = 0.9, tolerance: PyScalar = 1e-9
        let dNorm = PyScalar.tensor(FlatVector.absMax(d))
        var t = start
        var (fNew, gNew) = try directionalEvaluate(x, t, d)
        var evals = 1
        var gtdNew = PyScalar.tensor(FlatVector.dot(gNew, d))
        var tPrev: PyScalar = 0, fPrev = f, gPrev = g, gtdPrev = gtd
        var done = false
        var iter = 0
        var bracket: [PyScalar] = [], bracketF: [PyScalar] = [], bracketG: [[Float]] = [], bracketGtd: [PyScalar] = []

        // Bracketing: an interval holding a point that satisfies the conditions.
        while iter < maxLS {
            let sufficientDecrease = !(fNew > f + c1 * t * gtd || (iter > 1 && fNew >= fPrev))
            if sufficientDecrease && gtdNew.magnitude <= -c2 * gtd {
                bracket = [t]; bracketF = [fNew]; bracketG = [gNew]
                done = true
                break
            }
            if !sufficientDecrease || gtdNew >= 0 {
                bracket = [tPrev, t]; bracketF = [fPrev, fNew]
                bracketG = [gPrev, gNew]; bracketGtd = [gtdPrev, gtdNew]
                break
            }
            let minStep = t + 0.01 * (t - tPrev), maxStep = t * 10
            let previous = t
            t = Self.cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, bounds: (minStep, maxStep))
            tPrev = previous; fPrev = fNew; gPrev = gNew; gtdPrev = gtdNew
            (fNew, gNew) = try directionalEvaluate(x, t, d)
            evals += 1
            gtdNew = .tensor(FlatVector.dot(gNew, d))
            iter += 1
        }
        if iter == maxLS {
            bracket = [0, t]; bracketF = [f, fNew]; bracketG = [g, gNew]
        }

        // Zoom: shrink the bracket until a point satisfies the conditions.
        var insufficientProgress = false
        var (low, high) = bracketF[0] <= bracketF[bracketF.count - 1] ? (0, 1) : (1, 0)
        while !done && iter < maxLS {
            if (bracket[1] - bracket[0]).magnitude * dNorm < tolerance { break }
            t = Self.cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1])
            let top = pyMax(bracket[0], bracket[1]), bottom = pyMin(bracket[0], bracket[1])
            let eps = 0.1 * (top - bottom)
            if pyMin(top - t, t - bottom) < eps {
                // Too close to an end: after a second time (or outside), move 0.1 of the width in.
                if insufficientProgress || t >= top || t <= bottom {
                    t = (t - top).magnitude < (t - bottom).magnitude ? top - eps : bottom + eps
                    insufficientProgress = false
                } else {
                    insufficientProgress = true
                }
            } else {
                insufficientProgress = false
            }
            (fNew, gNew) = try directionalEvaluate(x, t, d)
            evals += 1
            gtdNew = .tensor(FlatVector.dot(gNew, d))
            iter += 1
            if fNew > f + c1 * t * gtd || fNew >= bracketF[low] {
                bracket[high] = t; bracketF[high] = fNew; bracketG[high] = gNew; bracketGtd[high] = gtdNew
                (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0)
            } else {
                if gtdNew.magnitude <= -c2 * gtd {
                    done = true
                } else if gtdNew * (bracket[high] - bracket[low]) >= 0 {
                    bracket[high] = bracket[low]; bracketF[high] = bracketF[low]
                    bracketG[high] = bracketG[low]; bracketGtd[high] = bracketGtd[low]
                }
                bracket[low] = t; bracketF[low] = fNew; bracketG[low] = gNew; bracketGtd[low] = gtdNew
            }
        }
        return LineSearchResult(loss: bracketF[low], grad: bracketG[low], t: bracket[low], evals: evals)
    }

    /// PyTorch's `_cubic_interpolate`: the minimiser of the cubic through two points with
    /// their values and derivatives, clamped to `bounds` (the two points' span by default);
    /// the middle of the bounds when the cubic has no minimum.
    static func cubicInterpolate(_ x1: PyScalar, _ f1: PyScalar, _ g1: PyScalar, _ x2: PyScalar, _ f2: PyScalar,
                                 _ g2: PyScalar, bounds: (PyScalar, PyScalar)? = nil) -> PyScalar {
        let (lo, hi) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
        let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        let d2Square = d1 * d1 - g1 * g2
        guard d2Square >= 0 else { return (lo + hi) / 2.0 }
        let d2: PyScalar = d2Square.isTensor ? .tensor(d2Square.float.squareRoot()) : .float(d2Square.double.squareRoot())
        let minPos = x1 <= x2
            ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return pyMin(pyMax(minPos, lo), hi)
    }
}
