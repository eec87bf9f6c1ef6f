import { hyp2f1, lgamma } from './special.js';
import { minimise } from './nelder-mead.js';

/**
 * BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma (Fader, Hardie & Berger 2004), fitted by maximum
 * likelihood with Nelder-Mead on log-parameters. Inputs are the standard summaries: per customer
 * x = repeat purchase days, tx = time of the last purchase and T = age, both from the first purchase,
 * in weeks; mean repeat spend for Gamma-Gamma.
 */
export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}
export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/**
 * Grouped summaries: identical (x, tx, T) customers share a row with a weight. Distinct x, tx and T
 * values are indexed so a likelihood evaluation takes each log and gamma function once per distinct
 * value, not once per customer: that is what makes a million-customer fit take seconds.
 */
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
}

function indexValues(values: Float64Array): { values: Float64Array; index: Uint32Array } {
  const distinct = Float64Array.from(new Set(values)).sort();
  const at = new Map<number, number>();
  distinct.forEach((v, i) => at.set(v, i));
  return { values: distinct, index: Uint32Array.from(values, (v) => at.get(v)!) };
}

export function bgnbdData(x: Float64Array, tx: Float64Array, T: Float64Array, weight: Float64Array): BgNbdData {
  const xi = indexValues(x);
  const txi = indexValues(tx);
  const Ti = indexValues(T);
  return { x, tx, T, weight, xValues: xi.values, xIndex: xi.index, txValues: txi.values, txIndex: txi.index, TValues: Ti.values, TIndex: Ti.index };
}

/** Every k-th row (weights kept): a cheap, deterministic sample to find a starting point. */
function sampleBgNbd(data: BgNbdData, size: number): BgNbdData {
  const step = Math.ceil(data.x.length / size);
  const pick = (a: Float64Array) => a.filter((_, i) => i % step === 0);
  return bgnbdData(pick(data.x), pick(data.tx), pick(data.T), pick(data.weight));
}

export class ClvFitError extends Error {}

/** Parameters beyond e^±15 mean the likelihood has no interior maximum: the data do not identify the model. */
const LOG_PARAM_LIMIT = 15;

export function bgnbdLogLikelihood({ r, alpha, a, b }: BgNbdParams, data: BgNbdData): number {
  const lgR = lgamma(r);
  const lgB = lgamma(b);
  const lgAB = lgamma(a + b);
  const logA = Math.log(a);
  const rLogAlpha = r * Math.log(alpha);
  const gammaPart = data.xValues.map((x) => lgamma(r + x) - lgR + lgAB + lgamma(b + x) - lgB - lgamma(a + b + x) + rLogAlpha);
  const logBx = data.xValues.map((x) => (x > 0 ? logA - Math.log(b + x - 1) : 0));
  const logT = data.TValues.map((T) => Math.log(alpha + T));
  const logTx = data.txValues.map((tx) => Math.log(alpha + tx));
  const { x: xs, weight, xIndex, TIndex, txIndex } = data;
  let total = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const xi = xIndex[i]!;
    const a3 = -(r + x) * logT[TIndex[i]!]!;
    let mix = a3;
    if (x > 0) {
      const a4 = logBx[xi]! - (r + x) * logTx[txIndex[i]!]!;
      mix = Math.max(a3, a4) + Math.log1p(Math.exp(-Math.abs(a3 - a4)));
    }
    total += weight[i]! * (gammaPart[xi]! + mix);
  }
  return total;
}

/** Stops a search heading for a boundary at once instead of crawling there for thousands of steps. */
function runaway(logs: number[], names: string[], model: string): void {
  logs.forEach((v, i) => {
    if (Math.abs(v) > LOG_PARAM_LIMIT + 5) {
      throw new ClvFitError(
        `${model} fit did not converge: parameter ${names[i]} ran off to ${v > 0 ? 'infinity' : 'zero'} (the purchase history does not identify the model; more customers or a longer history are needed)`,
      );
    }
  });
}

function checkFit(names: string[], logs: number[], converged: boolean, iterations: number, model: string): void {
  if (!converged) throw new ClvFitError(`${model} fit did not converge after ${iterations} iterations; no CLV was written`);
  logs.forEach((v, i) => {
    if (!Number.isFinite(v) || Math.abs(v) > LOG_PARAM_LIMIT) {
      throw new ClvFitError(
        `${model} fit did not converge: parameter ${names[i]} ran off to ${v > 0 ? 'infinity' : 'zero'} (the purchase history does not identify the model; more customers or a longer history are needed)`,
      );
    }
  });
}

/** Rows above which a sample fit finds the starting point of the full fit. */
const SAMPLE_ROWS = 20_000;

export function fitBgNbd(data: BgNbdData): { params: BgNbdParams; logLikelihood: number; iterations: number } {
  const names = ['r', 'alpha', 'a', 'b'];
  const objectiveFor = (d: BgNbdData) => {
    let n = 0;
    for (const w of d.weight) n += w;
    return (p: number[]) => {
      runaway(p, names, 'BG/NBD');
      const [r, alpha, a, b] = p.map(Math.exp) as [number, number, number, number];
      const ll = bgnbdLogLikelihood({ r, alpha, a, b }, d);
      return Number.isFinite(ll) ? -ll / n : Number.POSITIVE_INFINITY;
    };
  };
  let start = [0, 0, 0, 0];
  let iterations = 0;
  if (data.x.length > SAMPLE_ROWS) {
    const rough = minimise(objectiveFor(sampleBgNbd(data, SAMPLE_ROWS)), start, { fTolerance: 1e-9, xTolerance: 1e-4 });
    iterations += rough.iterations;
    if (rough.converged) start = rough.x;
  }
  // From a sample's optimum the full fit only polishes: parameters to 1e-6 (relative) are plenty.
  const fit = minimise(objectiveFor(data), start, iterations ? { step: 0.05, fTolerance: 1e-10, xTolerance: 1e-6 } : {});
  iterations += fit.iterations;
  checkFit(names, fit.x, fit.converged, iterations, 'BG/NBD');
  const [r, alpha, a, b] = fit.x.map(Math.exp) as [number, number, number, number];
  let n = 0;
  for (const w of data.weight) n += w;
  return { params: { r, alpha, a, b }, logLikelihood: -fit.fx * n, iterations };
}

/** P(alive) given the history. */
export function pAlive({ r, alpha, a, b }: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  return 1 / (1 + (a / (b + x - 1)) * Math.pow((alpha + T) / (alpha + tx), r + x));
}

/**
 * The part of the expected purchases that does not depend on t_x:
 * 1 - ((alpha + T) / (alpha + T + t))^(r + x) * 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t)).
 */
export function purchaseBracket({ r, alpha, a, b }: BgNbdParams, t: number, x: number, T: number): number {
  if (t <= 0) return 0;
  const z = t / (alpha + T + t);
  return 1 - Math.pow((alpha + T) / (alpha + T + t), r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z);
}

/** Expected purchases in the next t weeks given the history (FHL 2005, equation 10). */
export function expectedPurchases(params: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  const { a, b } = params;
  return (((a + b + x - 1) / (a - 1)) * purchaseBracket(params, t, x, T)) * pAlive(params, x, tx, T);
}

export interface GammaGammaData {
  x: Float64Array;
  m: Float64Array;
  xValues: Float64Array;
  xIndex: Uint32Array;
  /** Per customer, constant across evaluations: ln m and x (ln m + ln x). */
  logM: Float64Array;
  xLogMx: Float64Array;
}

export function gammaGammaData(x: Float64Array, m: Float64Array): GammaGammaData {
  const xi = indexValues(x);
  const logM = m.map(Math.log);
  return { x, m, xValues: xi.values, xIndex: xi.index, logM, xLogMx: x.map((v, i) => v * (logM[i]! + Math.log(v))) };
}

export function gammaGammaLogLikelihood({ p, q, gamma }: GammaGammaParams, d: GammaGammaData): number {
  const constant = q * Math.log(gamma) - lgamma(q);
  const gammaPart = d.xValues.map((x) => lgamma(p * x + q) - lgamma(p * x) + constant);
  let total = 0;
  for (let i = 0; i < d.x.length; i++) {
    const x = d.x[i]!;
    total += gammaPart[d.xIndex[i]!]! + p * d.xLogMx[i]! - d.logM[i]! - (p * x + q) * Math.log(gamma + d.m[i]! * x);
  }
  return total;
}

/** Fits Gamma-Gamma on repeat customers: x repeat purchases with mean value m (> 0). */
export function fitGammaGamma(x: Float64Array, m: Float64Array): { params: GammaGammaParams; logLikelihood: number; iterations: number } {
  const names = ['p', 'q', 'gamma'];
  const objectiveFor = (d: GammaGammaData) => (v: number[]) => {
    runaway(v, names, 'Gamma-Gamma');
    const [p, q, gamma] = v.map(Math.exp) as [number, number, number];
    const ll = gammaGammaLogLikelihood({ p, q, gamma }, d);
    return Number.isFinite(ll) ? -ll / d.x.length : Number.POSITIVE_INFINITY;
  };
  const data = gammaGammaData(x, m);
  let start = [0, 0, 0];
  let iterations = 0;
  if (x.length > SAMPLE_ROWS) {
    const step = Math.ceil(x.length / SAMPLE_ROWS);
    const sample = gammaGammaData(x.filter((_, i) => i % step === 0), m.filter((_, i) => i % step === 0));
    const rough = minimise(objectiveFor(sample), start, { fTolerance: 1e-9, xTolerance: 1e-4 });
    iterations += rough.iterations;
    if (rough.converged) start = rough.x;
  }
  // From a sample's optimum the full fit only polishes: parameters to 1e-6 (relative) are plenty.
  const fit = minimise(objectiveFor(data), start, iterations ? { step: 0.05, fTolerance: 1e-10, xTolerance: 1e-6 } : {});
  iterations += fit.iterations;
  checkFit(names, fit.x, fit.converged, iterations, 'Gamma-Gamma');
  const [p, q, gamma] = fit.x.map(Math.exp) as [number, number, number];
  if (q <= 1) throw new ClvFitError(`Gamma-Gamma fit gave q = ${q.toFixed(3)} <= 1: the expected order value is undefined; no CLV was written`);
  return { params: { p, q, gamma }, logLikelihood: -fit.fx * x.length, iterations };
}

/** Expected value of a customer's future orders: shrinks their mean towards the population mean. */
export function expectedOrderValue({ p, q, gamma }: GammaGammaParams, x: number, m: number): number {
  if (x === 0) return (p * gamma) / (q - 1);
  return ((gamma + m * x) * p) / (p * x + q - 1);
}
