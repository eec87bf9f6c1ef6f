import { minimiseBox, type Objective } from './optimise.js';

/** What every CLV fit reports (printed by `score --clv` and kept in the run's parameters). */
export interface FitReport<P> {
  /** The model actually used: "BG/NBD", "NBD (BG/NBD limit b → ∞)", "Gamma-Gamma". */
  model: string;
  params: P;
  /** Unpenalised log-likelihood of the whole population at the estimate. */
  logLikelihood: number;
  /** BFGS iterations, summed over every start and the final polish. */
  iterations: number;
  /** Norm of the projected gradient of the objective (mean negative log-likelihood + penalty) in log-parameters. */
  gradientNorm: number;
  /** Starting points tried, and how many of them reached the best objective (to 1e-6). */
  starts: number;
  startsAgreeing: number;
  penalizer: number;
  /** Parameters whose estimate lies at a limit of the model (e^±LOG_LIMIT) with the likelihood still rising. */
  atLimit: Array<{ parameter: string; direction: 'infinity' | 'zero' }>;
}

export class ClvFitError extends Error {}

/** e^±LOG_LIMIT bounds every parameter: far beyond any interior optimum, near enough for double precision. */
export const LOG_LIMIT = Math.log(1e6);

export interface MultiStart {
  x: number[];
  value: number;
  iterations: number;
  gradientNorm: number;
  converged: boolean;
  atBound: number[];
  starts: number;
  startsAgreeing: number;
}

/**
 * Minimises `objectiveFor(full)` from every start. With a large population the starts run on `sample`
 * (a deterministic subset with the same weights' shape) and only the best is polished on the full data:
 * several starts then cost about one full fit.
 */
export function multiStart(
  objectiveFor: (sampled: boolean) => (theta: number[]) => Objective,
  starts: number[][],
  sampled: boolean,
): MultiStart {
  const n = starts[0]!.length;
  const bounds = { lower: new Array<number>(n).fill(-LOG_LIMIT), upper: new Array<number>(n).fill(LOG_LIMIT) };
  const f = objectiveFor(sampled);
  let iterations = 0;
  const results = starts.map((s) => {
    const r = minimiseBox(f, s, bounds);
    iterations += r.iterations;
    return r;
  });
  const usable = results.filter((r) => Number.isFinite(r.value));
  const best = (usable.length ? usable : results).reduce((a, b) => (b.value < a.value - 1e-12 || (!a.converged && b.converged) ? b : a));
  const startsAgreeing = results.filter((r) => Math.abs(r.value - best.value) <= 1e-6 * (1 + Math.abs(best.value))).length;
  let final = best;
  if (sampled) {
    // The sample's objective has the full one's shape: its curvature spares the polish most iterations.
    final = minimiseBox(objectiveFor(false), best.x, { ...bounds, inverseHessian: best.inverseHessian });
    iterations += final.iterations;
  }
  return { ...final, iterations, starts: starts.length, startsAgreeing };
}

/**
 * Beyond e^±NEAR_LIMIT (1e-4 … 1e4, in the fit's unit-free scale) a parameter is read as its limit: a
 * likelihood rising towards a boundary is so flat there that the search may stop short of the bound.
 */
export const NEAR_LIMIT = Math.log(1e4);

export function limitsOf(names: string[], theta: number[], atBound: number[]): FitReport<unknown>['atLimit'] {
  return names.flatMap((parameter, i) =>
    atBound.includes(i) || Math.abs(theta[i]!) >= NEAR_LIMIT ? [{ parameter, direction: theta[i]! > 0 ? ('infinity' as const) : ('zero' as const) }] : [],
  );
}

/** Every k-th index of n, k chosen so about `size` remain. */
export function sampleIndices(n: number, size: number): number[] {
  const step = Math.ceil(n / size);
  const out: number[] = [];
  for (let i = 0; i < n; i += step) out.push(i);
  return out;
}
