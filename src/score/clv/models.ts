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

/** Grouped summaries: identical (x, tx, T) customers share a row with a weight, which keeps fits fast. */
export interface BgNbdData {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
}

export class ClvFitError extends Error {}

/** Parameters beyond e^±15 mean the likelihood has no interior maximum: the data do not identify the model. */
const LOG_PARAM_LIMIT = 15;

export function bgnbdLogLikelihood({ r, alpha, a, b }: BgNbdParams, data: BgNbdData): number {
  const xs = data.x;
  // x takes few distinct values: cache the gamma-function part per x.
  const cache = new Map<number, number>();
  const lgR = lgamma(r);
  const lgB = lgamma(b);
  const lgAB = lgamma(a + b);
  const logA = Math.log(a);
  const rLogAlpha = r * Math.log(alpha);
  let total = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    let gammaPart = cache.get(x);
    if (gammaPart === undefined) {
      gammaPart = lgamma(r + x) - lgR + lgAB + lgamma(b + x) - lgB - lgamma(a + b + x);
      cache.set(x, gammaPart);
    }
    const a3 = -(r + x) * Math.log(alpha + data.T[i]!);
    let mix = a3;
    if (x > 0) {
      const a4 = logA - Math.log(b + x - 1) - (r + x) * Math.log(alpha + data.tx[i]!);
      const hi = Math.max(a3, a4);
      mix = hi + Math.log(Math.exp(a3 - hi) + Math.exp(a4 - hi));
    }
    total += data.weight[i]! * (gammaPart + rLogAlpha + mix);
  }
  return total;
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

export function fitBgNbd(data: BgNbdData): { params: BgNbdParams; logLikelihood: number; iterations: number } {
  let n = 0;
  for (const w of data.weight) n += w;
  const objective = (p: number[]) => {
    const [r, alpha, a, b] = p.map(Math.exp) as [number, number, number, number];
    const ll = bgnbdLogLikelihood({ r, alpha, a, b }, data);
    return Number.isFinite(ll) ? -ll / n : Number.POSITIVE_INFINITY;
  };
  const fit = minimise(objective, [0, 0, 0, 0]);
  checkFit(['r', 'alpha', 'a', 'b'], fit.x, fit.converged, fit.iterations, 'BG/NBD');
  const [r, alpha, a, b] = fit.x.map(Math.exp) as [number, number, number, number];
  return { params: { r, alpha, a, b }, logLikelihood: -fit.fx * n, iterations: fit.iterations };
}

/** P(alive) given the history. */
export function pAlive({ r, alpha, a, b }: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  return 1 / (1 + (a / (b + x - 1)) * Math.pow((alpha + T) / (alpha + tx), r + x));
}

/** Expected purchases in the next t weeks given the history (FHL 2005, equation 10). */
export function expectedPurchases({ r, alpha, a, b }: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (t <= 0) return 0;
  const z = t / (alpha + T + t);
  const head = (a + b + x - 1) / (a - 1);
  const bracket = 1 - Math.pow((alpha + T) / (alpha + T + t), r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z);
  const denominator = x > 0 ? 1 + (a / (b + x - 1)) * Math.pow((alpha + T) / (alpha + tx), r + x) : 1;
  return (head * bracket) / denominator;
}

export function gammaGammaLogLikelihood({ p, q, gamma }: GammaGammaParams, x: Float64Array, m: Float64Array): number {
  const lgQ = lgamma(q);
  const qLogG = q * Math.log(gamma);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const px = p * x[i]!;
    total += lgamma(px + q) - lgamma(px) - lgQ + qLogG + (px - 1) * Math.log(m[i]!) + px * Math.log(x[i]!) - (px + q) * Math.log(gamma + m[i]! * x[i]!);
  }
  return total;
}

/** Fits Gamma-Gamma on repeat customers: x repeat purchases with mean value m (> 0). */
export function fitGammaGamma(x: Float64Array, m: Float64Array): { params: GammaGammaParams; logLikelihood: number; iterations: number } {
  const n = x.length;
  const objective = (v: number[]) => {
    const [p, q, gamma] = v.map(Math.exp) as [number, number, number];
    const ll = gammaGammaLogLikelihood({ p, q, gamma }, x, m);
    return Number.isFinite(ll) ? -ll / n : Number.POSITIVE_INFINITY;
  };
  const fit = minimise(objective, [0, 0, 0]);
  checkFit(['p', 'q', 'gamma'], fit.x, fit.converged, fit.iterations, 'Gamma-Gamma');
  const [p, q, gamma] = fit.x.map(Math.exp) as [number, number, number];
  if (q <= 1) throw new ClvFitError(`Gamma-Gamma fit gave q = ${q.toFixed(3)} <= 1: the expected order value is undefined; no CLV was written`);
  return { params: { p, q, gamma }, logLikelihood: -fit.fx * n, iterations: fit.iterations };
}

/** Expected value of a customer's future orders: shrinks their mean towards the population mean. */
export function expectedOrderValue({ p, q, gamma }: GammaGammaParams, x: number, m: number): number {
  if (x === 0) return (p * gamma) / (q - 1);
  return ((gamma + m * x) * p) / (p * x + q - 1);
}
