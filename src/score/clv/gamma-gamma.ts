import { digamma, lgamma } from './special.js';
import { ClvFitError, LOG_LIMIT, limitsOf, multiStart, sampleIndices, type FitReport } from './fit.js';
import type { Objective } from './optimise.js';

/**
 * Gamma-Gamma spend model (Fader, Hardie & Berger 2004; Fader & Hardie 2013) on repeat customers: x
 * repeat purchases with mean value m > 0 (currency units). Fitted on log-parameters with the analytic
 * gradient; Γ and ψ terms that depend on x only are computed once per distinct x.
 */
export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/** How expected order values are computed: the model, or (at its limit) the observed mean spend. */
export type SpendModel = { kind: 'gamma-gamma'; params: GammaGammaParams; populationMean: number } | { kind: 'observed-mean'; mean: number };

export interface GammaGammaFit {
  model: SpendModel;
  report: FitReport<GammaGammaParams>;
  repeatCustomers: number;
  /** Pearson correlation of frequency and mean spend: the model assumes they are independent. */
  frequencySpendCorrelation: number | null;
  /** Mean spend per repeat purchase, all repeat customers pooled (Σ x m / Σ x). */
  observedMean: number;
  warnings: string[];
}

interface Data {
  x: Float64Array;
  m: Float64Array;
  xValues: Float64Array;
  xIndex: Uint32Array;
  /** Per customer, constant across evaluations: ln m, x (ln m + ln x). */
  logM: Float64Array;
  xLogMx: Float64Array;
}

function data(x: Float64Array, m: Float64Array): Data {
  const xValues = Float64Array.from(new Set(x)).sort();
  const at = new Map<number, number>();
  xValues.forEach((v, i) => at.set(v, i));
  const logM = m.map(Math.log);
  return { x, m, xValues, xIndex: Uint32Array.from(x, (v) => at.get(v)!), logM, xLogMx: x.map((v, i) => v * (logM[i]! + Math.log(v))) };
}

export function gammaGammaLogLikelihood({ p, q, gamma }: GammaGammaParams, d: Data): { value: number; gradient: number[] } {
  const logGamma = Math.log(gamma);
  const lgQ = lgamma(q);
  const psiQ = digamma(q);
  const part = d.xValues.map((x) => lgamma(p * x + q) - lgamma(p * x));
  const psiPxq = d.xValues.map((x) => digamma(p * x + q));
  const psiPx = d.xValues.map((x) => digamma(p * x));
  let ll = 0;
  let gp = 0;
  let gq = 0;
  let gg = 0;
  for (let i = 0; i < d.x.length; i++) {
    const x = d.x[i]!;
    const k = d.xIndex[i]!;
    const denominator = gamma + d.m[i]! * x;
    const logDen = Math.log(denominator);
    ll += part[k]! - lgQ + q * logGamma + p * d.xLogMx[i]! - d.logM[i]! - (p * x + q) * logDen;
    gp += x * (psiPxq[k]! - psiPx[k]!) + d.xLogMx[i]! - x * logDen;
    gq += psiPxq[k]! - psiQ + logGamma - logDen;
    gg += q / gamma - (p * x + q) / denominator;
  }
  return { value: ll, gradient: [gp, gq, gg] };
}

/** Mean negative log-likelihood + lifetimes' penalty penalizer × (p² + q² + gamma²), gamma in currency units. */
function objective(d: Data, penalizer: number, unit: number) {
  const n = d.x.length;
  return (theta: number[]): Objective => {
    const v = theta.map(Math.exp);
    const { value, gradient } = gammaGammaLogLikelihood({ p: v[0]!, q: v[1]!, gamma: v[2]! }, d);
    const raw = [v[0]!, v[1]!, v[2]! * unit];
    let penalty = 0;
    for (const s of raw) penalty += s * s;
    return { value: -value / n + penalizer * penalty, gradient: gradient.map((g, i) => (-g * v[i]!) / n + 2 * penalizer * raw[i]! * raw[i]!) };
  };
}

const SAMPLE_ROWS = 20_000;
/** |correlation| above which the independence assumption is reported as doubtful. */
export const CORRELATION_WARNING = 0.3;

export function pearson(a: Float64Array, b: Float64Array): number | null {
  const n = a.length;
  if (n < 3) return null;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : null;
}

/** Fits Gamma-Gamma on repeat customers: x repeat purchases (integers ≥ 1) with mean value m > 0. */
export function fitGammaGamma(x: Float64Array, m: Float64Array, penalizer = 0): GammaGammaFit {
  if (x.length === 0) throw new ClvFitError('Gamma-Gamma cannot be fitted: no repeat customer with a positive mean spend');
  let weighted = 0;
  let purchases = 0;
  for (let i = 0; i < x.length; i++) {
    weighted += x[i]! * m[i]!;
    purchases += x[i]!;
  }
  const observedMean = weighted / purchases;
  const correlation = pearson(x, m);
  const warnings: string[] = [];
  if (correlation !== null && Math.abs(correlation) > CORRELATION_WARNING) {
    warnings.push(
      `Gamma-Gamma assumes spend is independent of purchase frequency, but their correlation is ${correlation.toFixed(2)} ` +
        `(|r| > ${CORRELATION_WARNING}): expected order values may be biased`,
    );
  }
  // Without variation the likelihood has no maximum (it grows without bound as p, q, gamma → ∞), and a
  // search along that ridge crawls: the limit is recognised from the data, or from where the search went.
  let low = Infinity;
  let high = -Infinity;
  for (const v of m) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  const constant = high - low <= 1e-9 * high;
  if (constant) {
    warnings.push(`Gamma-Gamma not fitted: every repeat customer has the same mean spend, so spend does not vary between customers; expected order value = the observed mean spend ${observedMean.toFixed(2)} for everyone`);
    const report: FitReport<GammaGammaParams> = {
      model: 'Gamma-Gamma (not fitted: constant spend)',
      params: { p: Infinity, q: Infinity, gamma: Infinity },
      logLikelihood: NaN, iterations: 0, gradientNorm: NaN, starts: 0, startsAgreeing: 0, penalizer,
      atLimit: [{ parameter: 'p', direction: 'infinity' }, { parameter: 'q', direction: 'infinity' }, { parameter: 'gamma', direction: 'infinity' }],
    };
    return { report, repeatCustomers: x.length, frequencySpendCorrelation: correlation, observedMean, model: { kind: 'observed-mean', mean: observedMean }, warnings };
  }
  // The fit runs on spend divided by the observed mean, so gamma is unit-free (its limits mean the
  // same in euros or yen); only gamma changes back, and the penalty is on the currency-unit gamma.
  const unit = observedMean;
  const mScaled = m.map((v) => v / unit);
  const d = data(x, m);
  const ds = data(x, mScaled);
  const sampled = x.length > SAMPLE_ROWS;
  const rows = sampled ? sampleIndices(x.length, SAMPLE_ROWS) : [];
  const sample = sampled ? data(Float64Array.from(rows, (i) => x[i]!), Float64Array.from(rows, (i) => mScaled[i]!)) : ds;
  // Starts: lifetimes' (all ones, here in mean-spend units), and two with the population mean
  // p·gamma/(q−1) at the observed mean.
  const starts = [
    [0, 0, 0],
    [0, Math.log(2), 0],
    [Math.log(5), Math.log(4), Math.log(3 / 5)],
  ];
  const fit = multiStart((s) => objective(s ? sample : ds, penalizer, unit), starts, sampled);
  const v = fit.x.map(Math.exp);
  const params = { p: v[0]!, q: v[1]!, gamma: v[2]! * unit };
  const report: FitReport<GammaGammaParams> = {
    model: 'Gamma-Gamma',
    params,
    logLikelihood: gammaGammaLogLikelihood(params, d).value,
    iterations: fit.iterations,
    gradientNorm: fit.gradientNorm,
    starts: fit.starts,
    startsAgreeing: fit.startsAgreeing,
    penalizer,
    atLimit: limitsOf(['p', 'q', 'gamma'], fit.x, fit.atBound),
  };
  const base = { report, repeatCustomers: x.length, frequencySpendCorrelation: correlation, observedMean };
  const heading = report.atLimit.filter((l) => l.direction === 'infinity').map((l) => l.parameter);
  if (!fit.converged && heading.length === 0) {
    throw new ClvFitError(`Gamma-Gamma fit did not converge: gradient norm ${fit.gradientNorm.toExponential(2)} after ${fit.iterations} iterations from ${starts.length} starting points`);
  }
  if (!fit.converged) {
    warnings.push(
      `Gamma-Gamma: no maximum: the likelihood keeps rising as ${heading.map((p) => `${p} → ∞`).join(', ')}: ` +
        `spend does not vary between customers; expected order value = the observed mean spend ${observedMean.toFixed(2)} for everyone`,
    );
    return { ...base, model: { kind: 'observed-mean', mean: observedMean }, warnings };
  }
  const homogeneous = report.atLimit.some((l) => (l.parameter === 'q' || l.parameter === 'gamma') && l.direction === 'infinity');
  if (homogeneous) {
    // q, gamma → ∞ with q/gamma fixed: every customer has the same mean spend, so the best estimate
    // of anyone's next order is the pooled observed mean.
    warnings.push(
      `Gamma-Gamma: ${report.atLimit.map((l) => `${l.parameter} → ${l.direction === 'infinity' ? '∞' : '0'}`).join(', ')}: ` +
        `spend does not vary between customers; expected order value = the observed mean spend ${observedMean.toFixed(2)} for everyone`,
    );
    return { ...base, model: { kind: 'observed-mean', mean: observedMean }, warnings };
  }
  if (report.atLimit.length) {
    const pOnly = report.atLimit.every((l) => l.parameter === 'p' || (l.parameter === 'gamma' && l.direction === 'zero'));
    warnings.push(
      `Gamma-Gamma: ${report.atLimit.map((l) => `${l.parameter} → ${l.direction === 'infinity' ? '∞' : '0'}`).join(', ')}: ` +
        `${pOnly ? 'each customer spends about the same at every purchase' : 'the likelihood is highest at a limit of the model'}; ` +
        `the parameters at e^±${LOG_LIMIT.toFixed(1)} stand for that limit`,
    );
  }
  let populationMean = (params.p * params.gamma) / (params.q - 1);
  if (!(params.q > 1)) {
    // q ≤ 1: the population's mean spend is infinite under the model; one-time buyers get the observed mean.
    warnings.push(`Gamma-Gamma: q = ${params.q.toFixed(3)} ≤ 1 (heavy-tailed spend): the model's population mean is undefined; customers without a repeat purchase get the observed mean spend ${observedMean.toFixed(2)}`);
    populationMean = observedMean;
  }
  return { ...base, model: { kind: 'gamma-gamma', params, populationMean }, warnings };
}

/** Expected value of a customer's future orders: their mean shrunk towards the population mean. */
export function expectedOrderValue(model: SpendModel, x: number, m: number): number {
  if (model.kind === 'observed-mean') return model.mean;
  if (x === 0 || !(m > 0)) return model.populationMean;
  const { p, q, gamma } = model.params;
  return ((gamma + m * x) * p) / (p * x + q - 1);
}
