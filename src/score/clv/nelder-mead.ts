/**
 * Nelder-Mead simplex minimiser with restarts. The CLV models are fitted on log-parameters, so the
 * search is unconstrained; restarting from the best vertex until a restart no longer improves guards
 * against the simplex collapsing early (a known weakness of the method on ridges).
 */
export interface MinimiseResult {
  x: number[];
  fx: number;
  iterations: number;
  converged: boolean;
}

export interface MinimiseOptions {
  maxIterations?: number;
  /** Converged when the simplex's function values and vertices are this close. */
  fTolerance?: number;
  xTolerance?: number;
  step?: number;
}

function simplexRun(f: (x: number[]) => number, start: number[], step: number, maxIter: number, fTol: number, xTol: number) {
  const n = start.length;
  let points: number[][] = [start.slice()];
  for (let i = 0; i < n; i++) {
    const p = start.slice();
    p[i]! += step;
    points.push(p);
  }
  let values = points.map(f);
  let iter = 0;
  const combine = (a: number[], b: number[], t: number) => a.map((ai, i) => ai + t * (b[i]! - ai));
  for (; iter < maxIter; iter++) {
    const order = values.map((v, i) => i).sort((i, j) => values[i]! - values[j]!);
    points = order.map((i) => points[i]!);
    values = order.map((i) => values[i]!);
    const best = values[0]!;
    const worst = values[n]!;
    const spread = Math.abs(worst - best);
    let size = 0;
    for (let i = 1; i <= n; i++) for (let j = 0; j < n; j++) size = Math.max(size, Math.abs(points[i]![j]! - points[0]![j]!));
    if (spread <= fTol * (1 + Math.abs(best)) && size <= xTol) return { points, values, iter, converged: true };
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j]! += points[i]![j]! / n;
    const reflected = combine(centroid, points[n]!, -1);
    const fr = f(reflected);
    if (fr < best) {
      const expanded = combine(centroid, points[n]!, -2);
      const fe = f(expanded);
      if (fe < fr) [points[n], values[n]] = [expanded, fe];
      else [points[n], values[n]] = [reflected, fr];
    } else if (fr < values[n - 1]!) {
      [points[n], values[n]] = [reflected, fr];
    } else {
      const outside = fr < worst;
      const contracted = combine(centroid, outside ? reflected : points[n]!, 0.5);
      const fc = f(contracted);
      if (fc < (outside ? fr : worst)) {
        [points[n], values[n]] = [contracted, fc];
      } else {
        for (let i = 1; i <= n; i++) {
          points[i] = combine(points[0]!, points[i]!, 0.5);
          values[i] = f(points[i]!);
        }
      }
    }
  }
  return { points, values, iter, converged: false };
}

export function minimise(f: (x: number[]) => number, start: number[], options: MinimiseOptions = {}): MinimiseResult {
  const maxIterations = options.maxIterations ?? 5_000;
  const fTol = options.fTolerance ?? 1e-12;
  const xTol = options.xTolerance ?? 1e-7;
  let x = start.slice();
  let fx = f(x);
  let iterations = 0;
  let step = options.step ?? 0.5;
  for (let restart = 0; restart < 20 && iterations < maxIterations; restart++) {
    const run = simplexRun(f, x, step, maxIterations - iterations, fTol, xTol);
    iterations += run.iter;
    const improved = fx - run.values[0]!;
    const moved = Math.max(...run.points[0]!.map((v, i) => Math.abs(v - x[i]!)));
    x = run.points[0]!;
    fx = run.values[0]!;
    if (!run.converged) return { x, fx, iterations, converged: false };
    if (restart > 0 && improved <= fTol * (1 + Math.abs(fx)) && moved <= xTol * 10) return { x, fx, iterations, converged: true };
    step = 0.05;
  }
  return { x, fx, iterations, converged: false };
}
