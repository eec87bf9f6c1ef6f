/**
 * Box-constrained BFGS with analytic gradients (projected quasi-Newton). The CLV models are fitted on
 * log-parameters, where the likelihood is smooth and the search unconstrained except for wide bounds
 * (e^±LIMIT): a parameter that reaches a bound with its gradient still pointing outward is the
 * likelihood's supremum lying at a limit of the model (b → ∞: no dropout), which the caller reports,
 * instead of a search crawling towards infinity until an iteration cap.
 */
export interface Objective {
  value: number;
  gradient: number[];
}

export interface OptimiseResult {
  x: number[];
  value: number;
  /** Norm of the projected gradient at x (components at a bound and pushing outward are zero). */
  gradientNorm: number;
  iterations: number;
  converged: boolean;
  /** Indices of the parameters at a bound with the gradient pushing outward. */
  atBound: number[];
  /** The final BFGS inverse-Hessian approximation (a warm start for a search on a similar objective). */
  inverseHessian: number[][];
}

export interface OptimiseOptions {
  lower: number[];
  upper: number[];
  maxIterations?: number;
  /** Converged when the projected gradient norm is below this. */
  gradientTolerance?: number;
  /** Start from this inverse Hessian instead of the identity (e.g. the same model fitted on a sample). */
  inverseHessian?: number[][];
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const dot = (a: number[], b: number[]) => a.reduce((s, ai, i) => s + ai * b[i]!, 0);

function activeSet(x: number[], g: number[], lower: number[], upper: number[]): boolean[] {
  return x.map((xi, i) => (xi <= lower[i]! + 1e-12 && g[i]! > 0) || (xi >= upper[i]! - 1e-12 && g[i]! < 0));
}

export function minimiseBox(f: (x: number[]) => Objective, start: number[], o: OptimiseOptions): OptimiseResult {
  const n = start.length;
  const maxIterations = o.maxIterations ?? 300;
  const tolerance = o.gradientTolerance ?? 1e-7;
  const identity = (): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  let x = start.map((v, i) => clamp(v, o.lower[i]!, o.upper[i]!));
  let current = f(x);
  if (!Number.isFinite(current.value)) throw new RangeError('objective is not finite at the starting point');
  let H = o.inverseHessian?.length === n ? o.inverseHessian.map((row) => [...row]) : identity();
  let active = activeSet(x, current.gradient, o.lower, o.upper);
  let stalled = 0;
  let iterations = 0;
  const projected = () => current.gradient.map((g, i) => (active[i] ? 0 : g));
  for (; iterations < maxIterations; iterations++) {
    const pg = projected();
    if (Math.sqrt(dot(pg, pg)) <= tolerance) break;
    let d = H.map((row) => -dot(row, pg)).map((v, i) => (active[i] ? 0 : v));
    if (dot(d, pg) >= 0) {
      H = identity();
      d = pg.map((v) => -v);
    }
    // Backtracking (Armijo) along the projected path; the first step is capped so that one
    // iteration never moves a log-parameter by more than 5 (a factor of ~150).
    const longest = Math.max(...d.map(Math.abs));
    let t = longest > 5 ? 5 / longest : 1;
    let next: { x: number[]; f: Objective } | undefined;
    for (let k = 0; k < 60; k++, t *= 0.5) {
      const xn = x.map((xi, i) => clamp(xi + t * d[i]!, o.lower[i]!, o.upper[i]!));
      const fn = f(xn);
      const moved = xn.map((v, i) => v - x[i]!);
      if (Number.isFinite(fn.value) && fn.value <= current.value + 1e-4 * dot(current.gradient, moved)) {
        next = { x: xn, f: fn };
        break;
      }
    }
    if (!next) {
      // No descent along the quasi-Newton direction: retry once along the gradient, else the
      // objective is flat to double precision here and the search ends.
      if (H.some((row, i) => row.some((v, j) => v !== (i === j ? 1 : 0)))) {
        H = identity();
        continue;
      }
      break;
    }
    const s = next.x.map((v, i) => v - x[i]!);
    const y = next.f.gradient.map((v, i) => v - current.gradient[i]!);
    const improvement = current.value - next.f.value;
    x = next.x;
    current = next.f;
    const nowActive = activeSet(x, current.gradient, o.lower, o.upper);
    if (nowActive.some((a, i) => a !== active[i])) H = identity();
    else H = bfgsUpdate(H, s, y);
    active = nowActive;
    stalled = improvement <= 1e-15 * (1 + Math.abs(current.value)) ? stalled + 1 : 0;
    if (stalled >= 5) break;
  }
  const pg = projected();
  const gradientNorm = Math.sqrt(dot(pg, pg));
  return {
    x,
    value: current.value,
    gradientNorm,
    iterations,
    // A search that stalls with a small gradient has reached the optimum to double precision.
    converged: gradientNorm <= Math.max(tolerance, 1e-4),
    atBound: active.flatMap((a, i) => (a ? [i] : [])),
    inverseHessian: H,
  };
}

/** H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, skipped when the curvature condition fails. */
function bfgsUpdate(H: number[][], s: number[], y: number[]): number[][] {
  const sy = dot(s, y);
  if (!(sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y)))) return H;
  const rho = 1 / sy;
  const n = s.length;
  const Hy = H.map((row) => dot(row, y));
  const yHy = dot(y, Hy);
  return H.map((row, i) =>
    row.map((hij, j) => hij - rho * (Hy[i]! * s[j]! + s[i]! * Hy[j]!) + (rho * rho * yHy + rho) * s[i]! * s[j]!),
  ).slice(0, n);
}
