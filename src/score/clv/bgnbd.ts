import { hyp2f1 } from './special.js';
import { ClvFitError, LOG_LIMIT, limitsOf, multiStart, sampleIndices, type FitReport } from './fit.js';
import type { Objective } from './optimise.js';

/**
 * BG/NBD (Fader, Hardie & Lee 2005) by maximum likelihood on log-parameters, with the analytic gradient.
 * Inputs are the standard summaries: x = repeat purchase days (an integer), t_x = time of the last
 * purchase and T = age, both from the first purchase, in weeks. Identical (x, t_x, T) customers share
 * a row with a weight, and the distinct x, t_x and T values are indexed, so an evaluation takes each
 * log once per distinct value. Because x is an integer, Γ(r + x)/Γ(r) and the beta-function ratio are
 * finite products: exact (no lgamma cancellation) even when b runs towards infinity.
 */
export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** The purchase model used for scoring: BG/NBD, or its b → ∞ limit (NBD: nobody drops out). */
export type PurchaseModel = { kind: 'bgnbd'; params: BgNbdParams } | { kind: 'nbd'; params: { r: number; alpha: number } };

export interface BgNbdData {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
  xValues: Float64Array;
  xIndex: Uint32Array;
  txValues: Float64Array;
  txIndex: Uint32Array;
  TValues: Float64Array;
  TIndex: Uint32Array;
  customers: number;
}

/** Distinct values ascending, and each value's position among them (native sort + binary search). */
function indexValues(values: Float64Array): { values: Float64Array; index: Uint32Array } {
  const sorted = Float64Array.from(values).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i]!;
  const distinct = sorted.slice(0, n);
  const index = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (distinct[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    index[i] = lo;
  }
  return { values: distinct, index };
}

export function bgnbdData(x: Float64Array, tx: Float64Array, T: Float64Array, weight: Float64Array): BgNbdData {
  if (x.some((v) => !Number.isInteger(v) || v < 0)) throw new RangeError('BG/NBD: x must be a count of repeat purchases');
  const xi = indexValues(x);
  const txi = indexValues(tx);
  const Ti = indexValues(T);
  let customers = 0;
  for (const w of weight) customers += w;
  return { x, tx, T, weight, xValues: xi.values, xIndex: xi.index, txValues: txi.values, txIndex: txi.index, TValues: Ti.values, TIndex: Ti.index, customers };
}

function subset(d: BgNbdData, rows: number[]): BgNbdData {
  const pick = (a: Float64Array) => Float64Array.from(rows, (i) => a[i]!);
  return bgnbdData(pick(d.x), pick(d.tx), pick(d.T), pick(d.weight));
}

/**
 * Log-likelihood and its gradient with respect to (r, alpha, a, b); `nbd` drops the dropout process
 * (the limit b → ∞), leaving (r, alpha).
 */
export function bgnbdLogLikelihood(p: BgNbdParams, d: BgNbdData, nbd = false): { value: number; gradient: number[] } {
  const { r, alpha, a, b } = p;
  const maxX = d.xValues[d.xValues.length - 1] ?? 0;
  // Cumulative sums over k < x of ln(r+k) [+ ln(b+k) − ln(a+b+k)] and their derivatives.
  const G = new Float64Array(maxX + 1);
  const Gr = new Float64Array(maxX + 1);
  const Ga = new Float64Array(maxX + 1);
  const Gb = new Float64Array(maxX + 1);
  for (let k = 0; k < maxX; k++) {
    G[k + 1] = G[k]! + Math.log(r + k) + (nbd ? 0 : Math.log(b + k) - Math.log(a + b + k));
    Gr[k + 1] = Gr[k]! + 1 / (r + k);
    if (!nbd) {
      Ga[k + 1] = Ga[k]! - 1 / (a + b + k);
      Gb[k + 1] = Gb[k]! + 1 / (b + k) - 1 / (a + b + k);
    }
  }
  const logAlpha = Math.log(alpha);
  const logA = Math.log(a);
  const logT = d.TValues.map((T) => Math.log(alpha + T));
  const logTx = d.txValues.map((tx) => Math.log(alpha + tx));
  const { x: xs, weight, TIndex, txIndex } = d;
  let ll = 0;
  let gr = 0;
  let gAlpha = 0;
  let ga = 0;
  let gb = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const w = weight[i]!;
    const Ti = TIndex[i]!;
    const lT = logT[Ti]!;
    const l3 = -(r + x) * lT;
    let mix = l3;
    let w3 = 1;
    let w4 = 0;
    let lTx = 0;
    if (x > 0 && !nbd) {
      lTx = logTx[txIndex[i]!]!;
      const l4 = logA - Math.log(b + x - 1) - (r + x) * lTx;
      const top = Math.max(l3, l4);
      const e3 = Math.exp(l3 - top);
      const e4 = Math.exp(l4 - top);
      mix = top + Math.log(e3 + e4);
      w3 = e3 / (e3 + e4);
      w4 = e4 / (e3 + e4);
    }
    ll += w * (G[x]! + r * logAlpha + mix);
    gr += w * (Gr[x]! + logAlpha - w3 * lT - w4 * lTx);
    gAlpha += w * (r / alpha - (r + x) * (w3 / (alpha + d.TValues[Ti]!) + (w4 > 0 ? w4 / (alpha + d.txValues[txIndex[i]!]!) : 0)));
    if (!nbd) {
      ga += w * (Ga[x]! + w4 / a);
      gb += w * (Gb[x]! - (x > 0 ? w4 / (b + x - 1) : 0));
    }
  }
  return { value: ll, gradient: nbd ? [gr, gAlpha] : [gr, gAlpha, ga, gb] };
}

/**
 * The objective on log-parameters: mean negative log-likelihood per customer plus lifetimes' L2
 * penalty, penalizer × Σ parameter², on data in lifetimes' time unit, so a penalizer means the same
 * as lifetimes' penalizer_coef.
 */
function objective(d: BgNbdData, penalizer: number, nbd: boolean) {
  return (theta: number[]): Objective => {
    const v = theta.map(Math.exp);
    const p = nbd ? { r: v[0]!, alpha: v[1]!, a: 1, b: 1 } : { r: v[0]!, alpha: v[1]!, a: v[2]!, b: v[3]! };
    const { value, gradient } = bgnbdLogLikelihood(p, d, nbd);
    let penalty = 0;
    for (const s of v) penalty += s * s;
    return {
      value: -value / d.customers + penalizer * penalty,
      gradient: gradient.map((g, i) => (-g * v[i]!) / d.customers + 2 * penalizer * v[i]! * v[i]!),
    };
  };
}

export interface BgNbdFit {
  model: PurchaseModel;
  report: FitReport<BgNbdParams | { r: number; alpha: number }>;
  /** When the limit was taken: the full model's fit, for the record. */
  fullModel?: FitReport<BgNbdParams>;
  warnings: string[];
}

const SAMPLE_ROWS = 20_000;
const LOG_LIMIT_TEXT = LOG_LIMIT.toFixed(1);

export function fitBgNbd(d: BgNbdData, penalizer = 0): BgNbdFit {
  const names = ['r', 'alpha', 'a', 'b'];
  let sumX = 0;
  let sumT = 0;
  for (let i = 0; i < d.x.length; i++) {
    sumX += d.weight[i]! * d.x[i]!;
    sumT += d.weight[i]! * d.T[i]!;
  }
  if (sumX === 0) throw new ClvFitError('BG/NBD cannot be fitted: no customer has bought on a second day (the data lack repeat purchases)');
  // The fit runs in lifetimes' time unit (the oldest customer's age = 10): alpha is then unit-free, the
  // limits and the penalizer mean the same for any history, and only alpha changes back.
  const maxT = d.TValues[d.TValues.length - 1]!;
  const timeScale = maxT > 0 ? 10 / maxT : 1;
  const scaled = bgnbdData(d.x, d.tx.map((v) => v * timeScale), d.T.map((v) => v * timeScale), d.weight);
  // Starts: lifetimes' (all ones), and two that match the observed repeat rate with little and with
  // much dropout: different basins when the likelihood is flat, the same optimum when it is not.
  const rate = Math.max(sumX / (sumT * timeScale), 1e-6);
  const starts = [
    [0, 0, 0, 0],
    [0, Math.log(1 / rate), 0, Math.log(3)],
    [Math.log(0.3), Math.log(0.3 / rate), Math.log(0.5), Math.log(10)],
  ];
  const sampled = d.x.length > SAMPLE_ROWS;
  const sample = sampled ? subset(scaled, sampleIndices(d.x.length, SAMPLE_ROWS)) : scaled;
  const fit = multiStart((s) => objective(s ? sample : scaled, penalizer, false), starts, sampled);
  const v = fit.x.map(Math.exp);
  const params = { r: v[0]!, alpha: v[1]! / timeScale, a: v[2]!, b: v[3]! };
  const report: FitReport<BgNbdParams> = {
    model: 'BG/NBD',
    params,
    logLikelihood: bgnbdLogLikelihood(params, d).value,
    iterations: fit.iterations,
    gradientNorm: fit.gradientNorm,
    starts: fit.starts,
    startsAgreeing: fit.startsAgreeing,
    penalizer,
    atLimit: limitsOf(names, fit.x, fit.atBound),
  };
  // The mean dropout probability a/(a+b) tends to 0 along the ridge the search stopped on.
  // (b → ∞ with a finite, or a → 0 with b not → 0; a, b → 0 together is a different limit: each
  // customer either drops out at once or never).
  const limit = (name: string) => report.atLimit.find((l) => l.parameter === name)?.direction;
  const noDropout = (limit('b') === 'infinity' && limit('a') !== 'infinity') || (limit('a') === 'zero' && limit('b') !== 'zero');
  // A search still crawling towards the no-dropout limit has found it; any other unfinished search fails.
  if (!fit.converged && !noDropout) {
    throw new ClvFitError(
      `BG/NBD fit did not converge: gradient norm ${fit.gradientNorm.toExponential(2)} after ${fit.iterations} iterations from ${starts.length} starting points`,
    );
  }
  if (!noDropout) return { model: { kind: 'bgnbd', params }, report, warnings: limitWarnings(report) };

  // The likelihood rises towards a/(a+b) → 0: the history shows no dropout, and the model's limit is
  // the NBD (every customer stays alive, buying at a Gamma-distributed rate). Fit and use it exactly.
  const nbdStarts = [[0, 0], [fit.x[0]!, fit.x[1]!]];
  const nbd = multiStart((s) => objective(s ? sample : scaled, penalizer, true), nbdStarts, sampled);
  if (!nbd.converged) throw new ClvFitError(`NBD fit (BG/NBD limit b → ∞) did not converge: gradient norm ${nbd.gradientNorm.toExponential(2)}`);
  const nv = nbd.x.map(Math.exp);
  const nbdParams = { r: nv[0]!, alpha: nv[1]! / timeScale };
  const nbdReport: FitReport<{ r: number; alpha: number }> = {
    model: 'NBD (BG/NBD limit b → ∞)',
    params: nbdParams,
    logLikelihood: bgnbdLogLikelihood({ ...nbdParams, a: 1, b: 1 }, d, true).value,
    iterations: nbd.iterations,
    gradientNorm: nbd.gradientNorm,
    starts: nbd.starts,
    startsAgreeing: nbd.startsAgreeing,
    penalizer,
    atLimit: limitsOf(['r', 'alpha'], nbd.x, nbd.atBound),
  };
  const warnings = [
    `BG/NBD: the likelihood is highest as ${report.atLimit.map((l) => `${l.parameter} → ${l.direction === 'infinity' ? '∞' : '0'}`).join(', ')} ` +
      `(no customer is seen to drop out); scored with the limiting NBD model: P(alive) = 1 for everyone`,
    ...limitWarnings(nbdReport),
  ];
  return { model: { kind: 'nbd', params: nbdParams }, report: nbdReport, fullModel: report, warnings };
}

/** What a limit means for the shop, in the words a warning needs. */
const LIMIT_MEANINGS: Array<[string, string]> = [
  ['r → ∞, alpha → ∞', 'purchase rates do not vary between customers'],
  ['a → 0, b → 0', 'each customer either drops out right after a purchase or never does'],
  ['a → ∞, b → ∞', 'every customer has the same dropout probability'],
];

function limitWarnings(report: FitReport<unknown>): string[] {
  const text = (ls: FitReport<unknown>['atLimit']) => ls.map((l) => `${l.parameter} → ${l.direction === 'infinity' ? '∞' : '0'}`).join(', ');
  const out: string[] = [];
  for (const group of [['r', 'alpha'], ['a', 'b']]) {
    const ls = report.atLimit.filter((l) => group.includes(l.parameter));
    if (!ls.length) continue;
    const meaning = LIMIT_MEANINGS.find(([k]) => k === text(ls))?.[1] ?? 'the likelihood is highest at a limit of the model';
    out.push(`${report.model}: ${text(ls)}: ${meaning}; scored with the parameters at e^±${LOG_LIMIT_TEXT}, which stand for that limit`);
  }
  return out;
}

/** P(alive | x, t_x, T). */
export function pAlive(model: PurchaseModel, x: number, tx: number, T: number): number {
  if (model.kind === 'nbd' || x === 0) return 1;
  const { r, alpha, a, b } = model.params;
  return 1 / (1 + (a / (b + x - 1)) * Math.pow((alpha + T) / (alpha + tx), r + x));
}

/**
 * Expected purchases in the next t weeks = head(x, t_x, T) × bracket(t, x, T), split so that the costly
 * part (the hypergeometric function) depends on (x, T) only and can be shared between customers.
 * BG/NBD (FHL 2005, eq. 10): head = (a+b+x−1)/(a−1) × P(alive), bracket = 1 − ((α+T)/(α+T+t))^(r+x)
 * 2F1(r+x, b+x; a+b+x−1; t/(α+T+t)). NBD: head = (r+x)/(α+T), bracket = t.
 */
export function purchaseHead(model: PurchaseModel, x: number, tx: number, T: number): number {
  if (model.kind === 'nbd') return (model.params.r + x) / (model.params.alpha + T);
  const { a, b } = model.params;
  return ((a + b + x - 1) / (a - 1)) * pAlive(model, x, tx, T);
}

export function purchaseBracket(model: PurchaseModel, t: number, x: number, T: number): number {
  if (t <= 0) return 0;
  if (model.kind === 'nbd') return t;
  const { r, alpha, a, b } = model.params;
  const z = t / (alpha + T + t);
  return 1 - Math.pow((alpha + T) / (alpha + T + t), r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z);
}

export function expectedPurchases(model: PurchaseModel, t: number, x: number, tx: number, T: number): number {
  return purchaseHead(model, x, tx, T) * purchaseBracket(model, t, x, T);
}
