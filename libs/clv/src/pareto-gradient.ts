import type { GroupedHistories } from './bg-models';
import { paretoLogTerms, type ParetoParams } from './pareto-nbd';

// Read once, not per row: see hypergeometric.ts.
const { abs, exp, expm1, log, log1p, max } = Math;
const EPSILON = Number.EPSILON;
const NaN_ = Number.NaN;
/**
 * Levels of the continued fraction before a row falls back to differences of pareto-nbd.ts's terms: enough for
 * 1 - z down to about 1e-3 (the levels grow like 16/sqrt(1 - z); the textbook series needs about 37/(1 - z) terms).
 */
const MAX_LEVELS = 600;
/** Central differences' step: eps^(1/3), about 2/3 of the digits. */
const STEP = Math.cbrt(Number.EPSILON);

/**
 * The Pareto/NBD log-likelihood of pareto-nbd.ts with its gradient in (r, alpha, s, beta), for the fit: one pass over
 * the rows a step instead of the five of a forward-difference gradient. In the dead part, L(t) = ln A(t) =
 * (1-b) ln y + ln S - a ln(m+t) (see paretoLogTerms), S = 2F1(1, d; c; z) with d = a+1-b and c = a+1, evaluated by
 * Gauss's continued fraction with its derivatives in d, c and z carried along (logHyp2f1OneCf). Where the fraction
 * would be slow (1 - z below about 1e-3: a fit far out on the ridge of a common dropout rate, where pareto-nbd.ts
 * takes the expansion around z = 1), that row's gradient is taken by central differences of its own terms.
 */
export function paretoLogLikelihoodAndGradient(params: ParetoParams, data: GroupedHistories): { value: number; gradient: number[] } {
  const { r, alpha, s, beta } = params;
  const lnR = new Float64Array(data.maxX + 1);
  const dR = new Float64Array(data.maxX + 1);
  for (let m = 1; m <= data.maxX; m++) {
    lnR[m] = lnR[m - 1] + log(r + m - 1);
    dR[m] = dR[m - 1] + 1 / (r + m - 1);
  }
  const common = r * log(alpha) + s * log(beta);
  let value = 0;
  const g = [0, 0, 0, 0];
  const lt = [0, 0, 0, 0];
  const lT = [0, 0, 0, 0];
  const work = [0, 0, 0];
  // The fraction's coefficients depend on d and c, so on x alone: computed once an evaluation, for every row of that x.
  const up = alpha >= beta;
  const tables: (CfCoefficients | undefined)[] = new Array(data.maxX + 1);
  for (let i = 0; i < data.x.length; i++) {
    const x = data.x[i];
    const tx = data.tx[i];
    const T = data.T[i];
    const w = data.weight[i];
    const rx = r + x;
    const alive = -rx * log(alpha + T) - s * log(beta + T);
    // The alive part's gradient; the dead part's is mixed in below by its share.
    const ga0 = -log(alpha + T);
    const ga1 = -rx / (alpha + T);
    const ga2 = -log(beta + T);
    const ga3 = -s / (beta + T);
    let dead = -Infinity;
    let share = 0;
    let gd0 = 0;
    let gd1 = 0;
    let gd2 = 0;
    let gd3 = 0;
    if (T > tx) {
      const a = r + s + x;
      const table = (tables[x] ??= new CfCoefficients(a + 1 - (up ? s + 1 : rx), a + 1));
      const atTx = logA(params, x, tx, lt, table, work);
      const atT = atTx === atTx ? logA(params, x, T, lT, table, work) : NaN_;
      if (!(atT === atT)) {
        // NaN: the fraction would be slow here; this row's gradient by central differences of its own terms.
        const here = rowValue(params, x, tx, T);
        value += w * (lnR[x] + common + here);
        const keys = ['r', 'alpha', 's', 'beta'] as const;
        for (let k = 0; k < 4; k++) {
          const key = keys[k];
          const h = STEP * max(1, abs(params[key]));
          g[k] += (w * (rowValue({ ...params, [key]: params[key] + h }, x, tx, T) - rowValue({ ...params, [key]: params[key] - h }, x, tx, T))) / (2 * h);
        }
        g[0] += w * (dR[x] + log(alpha));
        g[1] += (w * r) / alpha;
        g[2] += w * log(beta);
        g[3] += (w * s) / beta;
        continue;
      }
      const delta = atT - atTx;
      dead = log(s / a) + atTx + log(-expm1(delta));
      // d/dtheta ln(A(tx) - A(T)) = (L'(tx) - e^delta L'(T)) / (1 - e^delta).
      const e = exp(delta);
      const k = 1 / -expm1(delta);
      gd0 = -1 / a + (lt[0] - e * lT[0]) * k;
      gd1 = (lt[1] - e * lT[1]) * k;
      gd2 = 1 / s - 1 / a + (lt[2] - e * lT[2]) * k;
      gd3 = (lt[3] - e * lT[3]) * k;
      share = 1 / (1 + exp(alive - dead));
    }
    const lse = dead === -Infinity ? alive : max(alive, dead) + log1p(exp(-abs(alive - dead)));
    value += w * (lnR[x] + common + lse);
    g[0] += w * (dR[x] + log(alpha) + (1 - share) * ga0 + share * gd0);
    g[1] += w * (r / alpha + (1 - share) * ga1 + share * gd1);
    g[2] += w * (log(beta) + (1 - share) * ga2 + share * gd2);
    g[3] += w * (s / beta + (1 - share) * ga3 + share * gd3);
  }
  return { value, gradient: g };
}

/** ln of one row's likelihood without the factor Gamma(r+x)/Gamma(r) alpha^r beta^s. */
function rowValue(p: ParetoParams, x: number, tx: number, T: number): number {
  const { alive, dead } = paretoLogTerms(p, x, tx, T);
  return dead === -Infinity ? alive : max(alive, dead) + log1p(exp(-abs(alive - dead)));
}

/**
 * L(t) with its gradient in (r, alpha, s, beta) written into `out`; NaN when the fraction needs more than MAX_LEVELS.
 * `table` holds the fraction's coefficients for d = a+1-b and c = a+1.
 */
function logA({ r, alpha, s, beta }: ParetoParams, x: number, t: number, out: number[], table: CfCoefficients, work: number[]): number {
  const a = r + s + x;
  const up = alpha >= beta;
  const mt = (up ? alpha : beta) + t;
  const lowT = (up ? beta : alpha) + t;
  const b = up ? s + 1 : r + x;
  const z = (up ? alpha - beta : beta - alpha) / mt;
  const lnY = log(lowT / mt);
  const lnS = cfWithDerivatives(table, z, work, MAX_LEVELS);
  if (!(lnS === lnS)) return NaN_;
  const [dlnSdd, dlnSdc, dlnSdz] = work;
  const lnMt = log(mt);
  if (up) {
    // b = s+1, d = r+x, c = r+s+x+1, m = alpha, z = (alpha-beta)/(alpha+t), y = (beta+t)/(alpha+t).
    out[0] = dlnSdd + dlnSdc - lnMt;
    out[1] = -(1 - b) / mt + (dlnSdz * lowT) / (mt * mt) - a / mt;
    out[2] = -lnY + dlnSdc - lnMt;
    out[3] = (1 - b) / lowT - dlnSdz / mt;
  } else {
    // b = r+x, d = s+1, c = r+s+x+1, m = beta, z = (beta-alpha)/(beta+t), y = (alpha+t)/(beta+t).
    out[0] = -lnY + dlnSdc - lnMt;
    out[1] = (1 - b) / lowT - dlnSdz / mt;
    out[2] = dlnSdd + dlnSdc - lnMt;
    out[3] = -(1 - b) / mt + (dlnSdz * lowT) / (mt * mt) - a / mt;
  }
  return (1 - b) * lnY + lnS - a * lnMt;
}

/**
 * ln 2F1(1, d; c; z) for 0 < d < c and 0 <= z < 1, with its partial derivatives in d, c and z written into `out`; NaN
 * past MAX_LEVELS levels. Gauss's continued fraction (DLMF 15.7.5 with a = 0, b = d, c - 1 for c: the ratio's
 * denominator 2F1(0, d; c-1; z) is 1):
 *   2F1(1, d; c; z) = 1/(1 + k1 z/(1 + k2 z/(1 + ...))),
 *   k_(2j+1) = -(c-1+j)(d+j) / ((c-1+2j)(c+2j)),  k_(2j+2) = -(c-d+j)(j+1) / ((c+2j)(c+1+2j)).
 * Every k is negative and tends to -1/4, so the tails stay in (1/2, 1] and nothing cancels; it converges like
 * ((1 - sqrt(1-z))/(1 + sqrt(1-z)))^2 a level where the series of hypergeometric.ts shrinks by z a term: 59 levels
 * against 355 terms at z = 0.92, 71 against 3,506 at z = 0.99. Evaluated forwards by Lentz's method, the derivatives
 * of each level's two factors carried along beside them (forward-mode differentiation of the recurrences).
 */
export function logHyp2f1OneCf(d: number, c: number, z: number, out: number[], maxLevels = MAX_LEVELS): number {
  return cfWithDerivatives(new CfCoefficients(d, c), z, out, maxLevels);
}

/**
 * The fraction's k_j and their derivatives in d and c for one (d, c), filled as far as some z has needed: every row
 * of one x shares them. With p = c-1+2m, the pair of levels 2m+1 and 2m+2 has the denominators p(p+1) and (p+1)(p+2).
 */
class CfCoefficients {
  /** k, dk/dd, dk/dc of level j at 3(j-1), 3(j-1)+1, 3(j-1)+2. */
  values = new Float64Array(0);
  levels = 0;

  constructor(
    readonly d: number,
    readonly c: number,
  ) {}

  fill(levels: number): void {
    const { d } = this;
    const c1 = this.c - 1;
    const values = new Float64Array(3 * levels);
    values.set(this.values);
    for (let j = this.levels + 1; j <= levels; j++) {
      const m = (j - 1) >> 1;
      const at = 3 * (j - 1);
      if (j & 1) {
        // k = -(c1+m)(d+m) q with q = 1/(p(p+1)), p = c1+2m; dk/dc1 = -(d+m) q - k (1/p + 1/(p+1)).
        const ip = 1 / (c1 + 2 * m);
        const ip1 = 1 / (c1 + 2 * m + 1);
        const q = ip * ip1;
        const kd = -(c1 + m) * q;
        const k = kd * (d + m);
        values[at] = k;
        values[at + 1] = kd;
        values[at + 2] = -(d + m) * q - k * (ip + ip1);
      } else {
        // k = (d-c1-m-1)(m+1) q with q = 1/((p+1)(p+2)); dk/dc1 = -(m+1) q - k (1/(p+1) + 1/(p+2)).
        const ip1 = 1 / (c1 + 2 * m + 1);
        const ip2 = 1 / (c1 + 2 * m + 2);
        const kd = (m + 1) * ip1 * ip2;
        const k = (d - c1 - m - 1) * kd;
        values[at] = k;
        values[at + 1] = kd;
        values[at + 2] = -kd - k * (ip1 + ip2);
      }
    }
    this.values = values;
    this.levels = levels;
  }
}

/** Levels filled at a time: most rows need 20 to 70. */
const FILL = 64;

function cfWithDerivatives(table: CfCoefficients, z: number, out: number[], maxLevels: number): number {
  // f = 1 + e1/(1 + e2/(1 + ...)) with e_j = k_j z; ln S = -ln f. Lentz: f = prod_j C_j D_j with
  // C_j = 1 + e_j / C_(j-1), D_j = 1 / (1 + e_j D_(j-1)), C_0 = 1, D_0 = 0.
  let f = 1;
  let lnF = 0;
  let iC = 1;
  let D = 0;
  // Derivatives of C and D in (d, c, z), and of ln f.
  let Cd = 0;
  let Cc = 0;
  let Cz = 0;
  let Dd = 0;
  let Dc = 0;
  let Dz = 0;
  let fd = 0;
  let fc = 0;
  let fz = 0;
  let values = table.values;
  for (let j = 1; j <= maxLevels; j++) {
    if (j > table.levels) {
      table.fill(Math.min(maxLevels, table.levels + FILL));
      values = table.values;
    }
    const at = 3 * (j - 1);
    const k = values[at];
    const e = k * z;
    const ed = values[at + 1] * z;
    const ec = values[at + 2] * z;
    // d e / d z = k.
    const Dn = 1 / (1 + e * D);
    // d ln D_j = -D_j (e' D + e D'), and D_j' = D_j d ln D_j.
    const lDd = -Dn * (ed * D + e * Dd);
    const lDc = -Dn * (ec * D + e * Dc);
    const lDz = -Dn * (k * D + e * Dz);
    // C_j' = (e' - e C' / C) / C
    const Cn = 1 + e * iC;
    const Cdn = (ed - e * Cd * iC) * iC;
    const Ccn = (ec - e * Cc * iC) * iC;
    const Czn = (k - e * Cz * iC) * iC;
    const iCn = 1 / Cn;
    const delta = Cn * Dn;
    f *= delta;
    const incD = Cdn * iCn + lDd;
    const incC = Ccn * iCn + lDc;
    const incZ = Czn * iCn + lDz;
    fd += incD;
    fc += incC;
    fz += incZ;
    D = Dn;
    Dd = Dn * lDd;
    Dc = Dn * lDc;
    Dz = Dn * lDz;
    iC = iCn;
    Cd = Cdn;
    Cc = Ccn;
    Cz = Czn;
    if (abs(delta - 1) <= EPSILON && abs(incD) <= EPSILON * (1 + abs(fd)) && abs(incC) <= EPSILON * (1 + abs(fc)) && abs(incZ) <= EPSILON * (1 + abs(fz))) {
      out[0] = -fd;
      out[1] = -fc;
      out[2] = -fz;
      return -(lnF + log(f));
    }
    // Keep the product in range (1/f is the function: up to (1 - z)^-(c-d) and more).
    if (!(f > 1e-200 && f < 1e200)) {
      lnF += log(f);
      f = 1;
    }
  }
  return NaN_;
}
