import { Checker, ConfigFileError, isObject, mergeConfig, readJsonConfig, type Json } from '../../config/src';
import { DEFAULT_SEGMENT_CONFIG, QUADRANTS, SEGMENT_FAMILIES, type RfmRule, type ScoreRange, type SegmentConfig } from './segment-definitions';

// One import for the whole config: its shape and defaults, and the checker.
export * from './segment-definitions';

/** Lists of named rules: a file that gives one gives the whole list. */
const REPLACED_WHOLE = ['rfm.segments', 'interests.derived'];

const CURRENCY = /^[A-Z]{3}$/;

const checkSteps = (check: Checker, path: string, steps: unknown): void => {
  if (!Array.isArray(steps) || !steps.length) return check.fail(path, 'must be a non-empty list of { minRevenue, percent }');
  steps.forEach((step, i) => {
    if (!check.keys(`${path}[${i}]`, step, ['minRevenue', 'percent'])) return;
    check.number(`${path}[${i}].minRevenue`, step.minRevenue);
    check.number(`${path}[${i}].percent`, step.percent, { max: 100 });
  });
  const thresholds = steps.map((step: Json) => step?.minRevenue);
  thresholds.forEach((threshold, i) => {
    const j = thresholds.indexOf(threshold);
    if (j < i) check.fail(`${path}[${i}]`, `overlaps ${path}[${j}] (both start at ${String(threshold)}): give each step its own minRevenue`);
  });
  if (!thresholds.includes(0)) check.fail(path, 'needs a step with minRevenue 0, so every customer has a level');
};

/** Two RFM rules overlap when some score triple falls in both; then their orders must differ. */
const checkRfm = (check: Checker, rfm: unknown): void => {
  if (!check.keys('rfm', rfm, ['segments'])) return;
  const segments = rfm.segments;
  if (!isObject(segments) || !Object.keys(segments).length) return check.fail('rfm.segments', 'must name at least one segment');
  const before = check.problems.length;
  const rules = Object.entries(segments);
  for (const [name, rule] of rules) {
    const path = `rfm.segments.${name}`;
    if (!check.keys(path, rule, ['order', 'r', 'f', 'm'])) continue;
    if (rule.order !== undefined) check.number(`${path}.order`, rule.order, { integer: true });
    for (const axis of ['r', 'f', 'm']) {
      const value = rule[axis];
      if (!Array.isArray(value) || value.length !== 2 || value.some((n) => !Number.isInteger(n) || n < 1 || n > 5) || value[0] > value[1]) {
        check.fail(`${path}.${axis}`, `must be [from, to] with 1 <= from <= to <= 5 (got ${JSON.stringify(value)})`);
      }
    }
  }
  if (check.problems.length > before) return;
  const valid = rules as [string, RfmRule & { order?: number }][];
  const within = (score: number, [from, to]: ScoreRange): boolean => score >= from && score <= to;
  const matches = (rule: RfmRule, r: number, f: number, m: number): boolean => within(r, rule.r) && within(f, rule.f) && within(m, rule.m);
  const triples = [1, 2, 3, 4, 5].flatMap((r) => [1, 2, 3, 4, 5].flatMap((f) => [1, 2, 3, 4, 5].map((m) => [r, f, m] as const)));
  for (let i = 0; i < valid.length; i++) {
    for (let j = i + 1; j < valid.length; j++) {
      const [a, ruleA] = valid[i];
      const [b, ruleB] = valid[j];
      const shared = triples.find(([r, f, m]) => matches(ruleA, r, f, m) && matches(ruleB, r, f, m));
      if (shared && (ruleA.order === undefined || ruleA.order === ruleB.order || ruleB.order === undefined)) {
        check.fail(`rfm.segments.${b}`, `overlaps rfm.segments.${a} (both match R${shared[0]} F${shared[1]} M${shared[2]}) with no order between them: give each a distinct "order"`);
      }
    }
  }
  if (check.problems.length > before) return;
  const ordered = [...valid].sort((x, y) => (x[1].order ?? 0) - (y[1].order ?? 0));
  for (const [name, rule] of ordered) {
    if (!triples.some(([r, f, m]) => ordered.find(([, other]) => matches(other, r, f, m))?.[1] === rule)) {
      check.fail(`rfm.segments.${name}`, 'can never match: rules with a lower order cover all its scores');
    }
  }
  const uncovered = triples.find(([r, f, m]) => !valid.some(([, rule]) => matches(rule, r, f, m)));
  if (uncovered) check.fail('rfm.segments', `no rule matches R${uncovered[0]} F${uncovered[1]} M${uncovered[2]}: every score needs a segment`);
};

const checkCondition = (check: Checker, path: string, condition: unknown): void => {
  if (!check.keys(path, condition, ['productTypes', 'minTravellers', 'destinationCountries', 'channels'])) return;
  if (!Object.keys(condition).length) check.fail(path, 'must state at least one condition (it would match every booking)');
  check.strings(`${path}.productTypes`, condition.productTypes, true);
  check.strings(`${path}.destinationCountries`, condition.destinationCountries, true);
  check.strings(`${path}.channels`, condition.channels, true);
  if (condition.minTravellers !== undefined) check.number(`${path}.minTravellers`, condition.minTravellers, { integer: true, min: 1 });
};

/** The defaults merged with an override (a parsed JSON file), checked; throws naming every wrong entry. */
export function segmentConfig(override: unknown = {}, source = 'segments config'): SegmentConfig {
  const check = new Checker();
  if (!isObject(override)) throw new ConfigFileError(`${source}: must be a JSON object`);
  check.keys('', override, ['version', 'currency', ...SEGMENT_FAMILIES], 'family');
  // A copy: normalising below (sorting the steps) must not touch the shared defaults.
  const config = structuredClone(mergeConfig(DEFAULT_SEGMENT_CONFIG, override, REPLACED_WHOLE)) as SegmentConfig;
  // The default rates convert to EUR: with another base currency only the file's own table makes sense.
  if (isObject(config.currency) && config.currency.base !== DEFAULT_SEGMENT_CONFIG.currency.base) {
    const given = isObject(override.currency) ? override.currency.rates : undefined;
    config.currency.rates = (given ?? {}) as Record<string, number>;
  }
  if (Object.keys(override).some((key) => key !== 'version') && override.version === undefined) {
    check.fail('version', 'a config that changes the defaults must name its version (recorded with every evaluation)');
  }
  if (typeof config.version !== 'string' || !config.version.trim()) check.fail('version', 'must be a non-empty string');

  if (check.keys('currency', config.currency, ['base', 'rates'])) {
    const { base, rates } = config.currency;
    if (typeof base !== 'string' || !CURRENCY.test(base)) check.fail('currency.base', `must be an ISO 4217 code such as EUR (got ${JSON.stringify(base)})`);
    if (isObject(rates)) {
      for (const [code, rate] of Object.entries(rates)) {
        if (!CURRENCY.test(code)) check.fail(`currency.rates.${code}`, 'must be keyed by an ISO 4217 code');
        check.number(`currency.rates.${code}`, rate, { above: 0 });
      }
      if (typeof base === 'string' && rates[base] !== 1) check.fail(`currency.rates.${base}`, `the base currency's rate must be 1 (got ${JSON.stringify(rates[base])})`);
    } else check.fail('currency.rates', 'must be an object of ISO 4217 code to rate');
  }
  checkRfm(check, config.rfm);

  const tiers = config.valueTiers;
  if (check.keys('valueTiers', tiers, ['tripWindowMonths', 'diamond', 'gold', 'potential'])) {
    check.number('valueTiers.tripWindowMonths', tiers.tripWindowMonths, { integer: true, min: 1 });
    for (const tier of ['diamond', 'gold'] as const) {
      if (!check.keys(`valueTiers.${tier}`, tiers[tier], ['minTrips', 'minAverageBookingValue'])) continue;
      check.number(`valueTiers.${tier}.minTrips`, tiers[tier].minTrips, { integer: true });
      check.number(`valueTiers.${tier}.minAverageBookingValue`, tiers[tier].minAverageBookingValue);
    }
    if (check.keys('valueTiers.potential', tiers.potential, ['maxBookings', 'maxAverageBookingValue'])) {
      check.number('valueTiers.potential.maxBookings', tiers.potential.maxBookings, { integer: true, min: 1 });
      check.number('valueTiers.potential.maxAverageBookingValue', tiers.potential.maxAverageBookingValue);
    }
  }

  if (check.keys('abc', config.abc, ['windowMonths', 'aPercent', 'bPercent'])) {
    check.number('abc.windowMonths', config.abc.windowMonths, { integer: true, min: 1 });
    check.number('abc.aPercent', config.abc.aPercent, { above: 0, max: 100 });
    check.number('abc.bPercent', config.abc.bPercent, { above: 0, max: 100 });
    if (config.abc.aPercent >= config.abc.bPercent) check.fail('abc.bPercent', `must be above abc.aPercent (${config.abc.aPercent}), got ${config.abc.bPercent}`);
  }

  const quadrant = config.valueLoyalty;
  if (check.keys('valueLoyalty', quadrant, ['highScale', 'highLoyaltyMinTrips', 'highLoyaltyMinTenureMonths', 'treatments'])) {
    check.number('valueLoyalty.highScale', quadrant.highScale);
    check.number('valueLoyalty.highLoyaltyMinTrips', quadrant.highLoyaltyMinTrips, { integer: true });
    check.number('valueLoyalty.highLoyaltyMinTenureMonths', quadrant.highLoyaltyMinTenureMonths, { integer: true });
    if (check.keys('valueLoyalty.treatments', quadrant.treatments, QUADRANTS, 'quadrant')) {
      for (const name of QUADRANTS) if (typeof quadrant.treatments[name] !== 'string') check.fail(`valueLoyalty.treatments.${name}`, 'must be a description');
    }
  }

  if (check.keys('vip', config.vip, ['candidateWhen']) && check.keys('vip.candidateWhen', config.vip.candidateWhen, ['abcClasses', 'valueTiers'])) {
    const { abcClasses, valueTiers } = config.vip.candidateWhen;
    check.strings('vip.candidateWhen.abcClasses', abcClasses);
    check.strings('vip.candidateWhen.valueTiers', valueTiers);
    for (const name of Array.isArray(abcClasses) ? abcClasses : []) if (!['A', 'B', 'C'].includes(name)) check.fail('vip.candidateWhen.abcClasses', `unknown class "${name}" (A, B, C)`);
    for (const name of Array.isArray(valueTiers) ? valueTiers : []) {
      if (!['diamond', 'gold', 'potential'].includes(name)) check.fail('vip.candidateWhen.valueTiers', `unknown tier "${name}" (diamond, gold, potential)`);
    }
  }

  const lifecycle = config.lifecycle;
  const lifecycleKeys = Object.keys(DEFAULT_SEGMENT_CONFIG.lifecycle);
  if (check.keys('lifecycle', lifecycle, lifecycleKeys)) {
    for (const key of lifecycleKeys) {
      const factor = key.endsWith('Factor');
      check.number(`lifecycle.${key}`, (lifecycle as unknown as Json)[key], factor ? { above: 0 } : { integer: true, min: key.endsWith('Bookings') ? 1 : 0 });
    }
    if (lifecycle.defaultLapsedDays <= lifecycle.defaultAtRiskDays) check.fail('lifecycle.defaultLapsedDays', 'must be above lifecycle.defaultAtRiskDays');
    if (lifecycle.lapsedGapFactor <= lifecycle.atRiskGapFactor) check.fail('lifecycle.lapsedGapFactor', 'must be above lifecycle.atRiskGapFactor');
  }

  if (check.keys('discount', config.discount, ['windowMonths', 'steps', 'vipSteps'])) {
    check.number('discount.windowMonths', config.discount.windowMonths, { integer: true, min: 1 });
    checkSteps(check, 'discount.steps', config.discount.steps);
    if (config.discount.vipSteps !== undefined) checkSteps(check, 'discount.vipSteps', config.discount.vipSteps);
  }

  if (check.keys('interests', config.interests, ['derived']) && isObject(config.interests.derived)) {
    for (const [tag, conditions] of Object.entries(config.interests.derived)) {
      if (!/^[a-z0-9][a-z0-9-]*$/.test(tag)) check.fail(`interests.derived.${tag}`, 'tag names are lower-case letters, digits and dashes');
      if (!Array.isArray(conditions) || !conditions.length) check.fail(`interests.derived.${tag}`, 'must be a non-empty list of booking conditions (any one matching derives the tag)');
      else conditions.forEach((condition, i) => checkCondition(check, `interests.derived.${tag}[${i}]`, condition));
    }
  }

  if (check.problems.length) throw new ConfigFileError(`${source} is invalid:\n  - ${check.problems.join('\n  - ')}`);
  // Rules that overlap none may leave out their order: they come after the ordered ones, in the file's order.
  let nextOrder = Math.max(0, ...Object.values(config.rfm.segments).map((rule) => rule.order ?? 0)) + 1;
  for (const rule of Object.values(config.rfm.segments)) rule.order ??= nextOrder++;
  if (config.discount.vipSteps) config.discount.vipSteps = [...config.discount.vipSteps].sort((a, b) => a.minRevenue - b.minRevenue);
  config.discount.steps = [...config.discount.steps].sort((a, b) => a.minRevenue - b.minRevenue);
  return config;
}

/** SEGMENTS_CONFIG names a JSON file; without it the defaults apply. */
export function loadSegmentConfig(path: string | undefined): SegmentConfig {
  return path ? segmentConfig(readJsonConfig('SEGMENTS_CONFIG', path), `SEGMENTS_CONFIG=${path}`) : segmentConfig();
}

/** The currencies a booking may be in: those the config converts to the base currency (a command in another is refused). */
export const ratedCurrencies = (config: SegmentConfig): ReadonlySet<string> => new Set(Object.keys(config.currency.rates));
