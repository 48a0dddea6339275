/* The segment config: defaults merged with an override, refused at start-up with every wrong entry named by its path. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFileError } from '../../config/src';
import { DEFAULT_SEGMENT_CONFIG, loadSegmentConfig, segmentConfig } from './segment-config';

/** The problems an override is refused for, one per named entry; fails the test if it is accepted. */
const problemsWith = (override: unknown): string[] => {
  try {
    segmentConfig(override);
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error;
    return error.message.split('\n  - ').slice(1);
  }
  throw new Error('the config was accepted');
};

const everyScore = { r: [1, 5], f: [1, 5], m: [1, 5] };

describe('segmentConfig', () => {
  it('accepts the defaults, with or without an empty override, and when given them whole', () => {
    expect(segmentConfig()).toEqual(DEFAULT_SEGMENT_CONFIG);
    expect(segmentConfig({})).toEqual(DEFAULT_SEGMENT_CONFIG);
    expect(segmentConfig(JSON.parse(JSON.stringify(DEFAULT_SEGMENT_CONFIG)))).toEqual(DEFAULT_SEGMENT_CONFIG);
  });

  it('gives every caller its own config: changing one leaves the defaults and the next config alone', () => {
    const defaults = JSON.parse(JSON.stringify(DEFAULT_SEGMENT_CONFIG)) as unknown;
    const first = segmentConfig();
    first.discount.steps.push({ minRevenue: 99_999, percent: 50 });
    first.currency.rates.JPY = 0.006;
    expect(DEFAULT_SEGMENT_CONFIG).toEqual(defaults);
    expect(segmentConfig()).toEqual(defaults);
  });

  it('refuses anything but a JSON object', () => {
    expect(() => segmentConfig([])).toThrow(new ConfigFileError('segments config: must be a JSON object'));
    expect(() => segmentConfig('{}', 'SEGMENTS_CONFIG=x.json')).toThrow('SEGMENTS_CONFIG=x.json: must be a JSON object');
  });

  it('names an unknown family', () => {
    expect(problemsWith({ version: 'x', loyalty: {} })).toEqual([expect.stringMatching(/^loyalty: unknown family \(known: version, currency, rfm, /)]);
  });

  it('asks an override that changes the defaults to name its version', () => {
    expect(problemsWith({ abc: { aPercent: 70 } })).toEqual([expect.stringMatching(/^version: a config that changes the defaults must name its version/)]);
    expect(problemsWith({ version: ' ' })).toEqual(['version: must be a non-empty string']);
  });

  it('names every wrong entry at once, not only the first', () => {
    const problems = problemsWith({ version: 'x', abc: { bPercent: 80 }, valueTiers: { diamond: { minAverageBookingValue: -1 } }, lifecycle: { minAtRiskDays: 1.5 } });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(['abc.bPercent', 'lifecycle.minAtRiskDays', 'valueTiers.diamond.minAverageBookingValue']);
  });

  it('names a negative threshold', () => {
    expect(problemsWith({ version: 'x', valueTiers: { diamond: { minAverageBookingValue: -1 } } })).toEqual([
      'valueTiers.diamond.minAverageBookingValue: must not be negative (got -1)',
    ]);
    expect(problemsWith({ version: 'x', valueLoyalty: { highScale: 'high' } })).toEqual(['valueLoyalty.highScale: must be a number (got "high")']);
  });

  describe('currency', () => {
    it('needs a rate of 1 for the base currency', () => {
      expect(problemsWith({ version: 'x', currency: { base: 'SEK' } })).toEqual(["currency.rates.SEK: the base currency's rate must be 1 (got undefined)"]);
      expect(problemsWith({ version: 'x', currency: { rates: { EUR: 0.5 } } })).toEqual(["currency.rates.EUR: the base currency's rate must be 1 (got 0.5)"]);
    });

    it('needs every rate above zero', () => {
      expect(problemsWith({ version: 'x', currency: { rates: { USD: 0 } } })).toEqual(['currency.rates.USD: must be above 0 (got 0)']);
      expect(problemsWith({ version: 'x', currency: { rates: { GBP: -1.17 } } })).toEqual(
        expect.arrayContaining([expect.stringMatching(/^currency\.rates\.GBP: /)]),
      );
    });

    it('needs ISO 4217 codes', () => {
      expect(problemsWith({ version: 'x', currency: { base: 'euro' } })).toContain('currency.base: must be an ISO 4217 code such as EUR (got "euro")');
      expect(problemsWith({ version: 'x', currency: { rates: { usd: 0.92 } } })).toEqual(['currency.rates.usd: must be keyed by an ISO 4217 code']);
    });
  });

  describe('RFM rules', () => {
    it('names both rules when two overlap without an order', () => {
      const problems = problemsWith({ version: 'x', rfm: { segments: { Everyone: everyScore, Recent: { r: [5, 5], f: [1, 5], m: [1, 5] } } } });
      expect(problems).toEqual([expect.stringMatching(/^rfm\.segments\.Recent: overlaps rfm\.segments\.Everyone \(both match R5 F1 M1\)/)]);
    });

    it('names both rules when two overlap with the same order', () => {
      const problems = problemsWith({
        version: 'x',
        rfm: { segments: { Everyone: { order: 1, ...everyScore }, Recent: { order: 1, r: [5, 5], f: [1, 5], m: [1, 5] } } },
      });
      expect(problems).toEqual([expect.stringMatching(/^rfm\.segments\.Recent: overlaps rfm\.segments\.Everyone /)]);
    });

    it('accepts overlapping rules with distinct orders', () => {
      const config = segmentConfig({
        version: 'x',
        rfm: { segments: { Recent: { order: 1, r: [5, 5], f: [1, 5], m: [1, 5] }, Everyone: { order: 2, ...everyScore } } },
      });
      expect(Object.keys(config.rfm.segments)).toEqual(['Recent', 'Everyone']);
    });

    it('names a rule that can never match because rules before it cover all its scores', () => {
      const problems = problemsWith({
        version: 'x',
        rfm: { segments: { Everyone: { order: 1, ...everyScore }, Recent: { order: 2, r: [5, 5], f: [1, 5], m: [1, 5] } } },
      });
      expect(problems).toEqual(['rfm.segments.Recent: can never match: rules with a lower order cover all its scores']);
    });

    it('names a score triple no rule matches', () => {
      const problems = problemsWith({ version: 'x', rfm: { segments: { Older: { order: 1, r: [1, 4], f: [1, 5], m: [1, 5] } } } });
      expect(problems).toEqual(['rfm.segments: no rule matches R5 F1 M1: every score needs a segment']);
    });

    it('names a range outside 1..5 or upside down', () => {
      const problems = problemsWith({
        version: 'x',
        rfm: { segments: { Everyone: { order: 1, r: [0, 5], f: [5, 1], m: [1, 5] } } },
      });
      expect(problems.map((problem) => problem.split(':')[0])).toEqual(['rfm.segments.Everyone.r', 'rfm.segments.Everyone.f']);
    });

    it('checks the ranges of a rule without an order too', () => {
      expect(problemsWith({ version: 'x', rfm: { segments: { Everyone: { r: [1, 5], f: [1, 5], m: [0, 5] } } } })).toEqual([
        'rfm.segments.Everyone.m: must be [from, to] with 1 <= from <= to <= 5 (got [0,5])',
      ]);
    });

    it('names a missing range of a rule without an order instead of failing on it', () => {
      expect(problemsWith({ version: 'x', rfm: { segments: { Everyone: { f: [1, 5], m: [1, 5] } } } })).toEqual([
        'rfm.segments.Everyone.r: must be [from, to] with 1 <= from <= to <= 5 (got undefined)',
      ]);
    });
  });

  it('needs abc.bPercent above abc.aPercent', () => {
    expect(problemsWith({ version: 'x', abc: { bPercent: 80 } })).toEqual(['abc.bPercent: must be above abc.aPercent (80), got 80']);
    expect(problemsWith({ version: 'x', abc: { aPercent: 96 } })).toEqual(['abc.bPercent: must be above abc.aPercent (96), got 95']);
  });

  it('names discount steps that start at the same revenue', () => {
    const steps = [
      { minRevenue: 0, percent: 0 },
      { minRevenue: 1000, percent: 3 },
      { minRevenue: 1000, percent: 4 },
    ];
    expect(problemsWith({ version: 'x', discount: { steps } })).toEqual([
      'discount.steps[2]: overlaps discount.steps[1] (both start at 1000): give each step its own minRevenue',
    ]);
    expect(problemsWith({ version: 'x', discount: { vipSteps: steps } })).toEqual([
      'discount.vipSteps[2]: overlaps discount.vipSteps[1] (both start at 1000): give each step its own minRevenue',
    ]);
  });

  it('needs a discount step from 0, so every customer has a level', () => {
    expect(problemsWith({ version: 'x', discount: { steps: [{ minRevenue: 1000, percent: 3 }] } })).toEqual([
      'discount.steps: needs a step with minRevenue 0, so every customer has a level',
    ]);
  });

  it('names a derived interest that would match every booking', () => {
    expect(problemsWith({ version: 'x', interests: { derived: { anything: [{}] } } })).toEqual([
      'interests.derived.anything[0]: must state at least one condition (it would match every booking)',
    ]);
  });

  describe('merging an override into the defaults', () => {
    it('keeps the defaults for every key the override does not give', () => {
      const config = segmentConfig({ version: 'v2', abc: { aPercent: 70 }, valueTiers: { gold: { minTrips: 3 } } });
      expect(config.version).toBe('v2');
      expect(config.abc).toEqual({ windowMonths: 12, aPercent: 70, bPercent: 95 });
      expect(config.valueTiers.gold).toEqual({ minTrips: 3, minAverageBookingValue: 3000 });
      expect(config.valueTiers.diamond).toEqual(DEFAULT_SEGMENT_CONFIG.valueTiers.diamond);
      expect(config.currency.rates).toEqual({ EUR: 1, USD: 0.92, GBP: 1.17, CHF: 1.05 });
      expect(config.rfm).toEqual(DEFAULT_SEGMENT_CONFIG.rfm);
    });

    it('adds a rate to the default rates', () => {
      expect(segmentConfig({ version: 'v2', currency: { rates: { SEK: 0.087 } } }).currency.rates).toEqual({ EUR: 1, USD: 0.92, GBP: 1.17, CHF: 1.05, SEK: 0.087 });
    });

    it('takes the rate table whole with another base currency: the default rates are to EUR', () => {
      expect(segmentConfig({ version: 'usd', currency: { base: 'USD', rates: { USD: 1, EUR: 1.09 } } }).currency).toEqual({ base: 'USD', rates: { USD: 1, EUR: 1.09 } });
      expect(problemsWith({ version: 'usd', currency: { base: 'USD' } })).toEqual(["currency.rates.USD: the base currency's rate must be 1 (got undefined)"]);
    });

    it('orders the RFM rules that leave out their order after the ordered ones, in the file order', () => {
      const config = segmentConfig({
        version: 'v2',
        rfm: { segments: { Low: { r: [1, 5], f: [1, 5], m: [1, 2] }, Top: { order: 5, r: [1, 5], f: [1, 5], m: [5, 5] }, Middle: { r: [1, 5], f: [1, 5], m: [3, 4] } } },
      });
      expect(Object.entries(config.rfm.segments).map(([name, rule]) => [name, rule.order])).toEqual([
        ['Low', 6],
        ['Top', 5],
        ['Middle', 7],
      ]);
    });

    it('replaces rfm.segments and interests.derived wholesale', () => {
      const config = segmentConfig({ version: 'v2', rfm: { segments: { Everyone: { order: 1, ...everyScore } } }, interests: { derived: { golf: [{ productTypes: ['golf'] }] } } });
      expect(config.rfm.segments).toEqual({ Everyone: { order: 1, ...everyScore } });
      expect(config.interests.derived).toEqual({ golf: [{ productTypes: ['golf'] }] });
    });

    it('replaces a list of discount steps as a whole, ordered by revenue', () => {
      const config = segmentConfig({
        version: 'v2',
        discount: {
          steps: [
            { minRevenue: 2000, percent: 4 },
            { minRevenue: 0, percent: 0 },
          ],
        },
      });
      expect(config.discount).toEqual({
        windowMonths: 12,
        steps: [
          { minRevenue: 0, percent: 0 },
          { minRevenue: 2000, percent: 4 },
        ],
      });
    });
  });
});

describe('loadSegmentConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'segment-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('gives the defaults when no file is named', () => {
    expect(loadSegmentConfig(undefined)).toEqual(DEFAULT_SEGMENT_CONFIG);
    expect(loadSegmentConfig('')).toEqual(DEFAULT_SEGMENT_CONFIG);
  });

  it('reads and checks a file', () => {
    const path = file('good.json', JSON.stringify({ version: 'travel-2026', discount: { windowMonths: 24 } }));
    expect(loadSegmentConfig(path)).toMatchObject({ version: 'travel-2026', discount: { windowMonths: 24, steps: DEFAULT_SEGMENT_CONFIG.discount.steps } });
  });

  it('says which file it cannot read', () => {
    const missing = join(dir, 'missing.json');
    expect(() => loadSegmentConfig(missing)).toThrow(ConfigFileError);
    // The cause's text differs inside jest's sandbox (an fs error there is not `instanceof Error`), so only its code is checked.
    expect(() => loadSegmentConfig(missing)).toThrow(`SEGMENTS_CONFIG=${missing}: cannot read the file (`);
    expect(() => loadSegmentConfig(missing)).toThrow('ENOENT');
    expect(() => loadSegmentConfig(dir)).toThrow(`SEGMENTS_CONFIG=${dir}: cannot read the file (`);
    expect(() => loadSegmentConfig(dir)).toThrow('EISDIR');
  });

  it('says which file is not valid JSON', () => {
    const path = file('broken.json', '{ "version": "x", ');
    expect(() => loadSegmentConfig(path)).toThrow(ConfigFileError);
    expect(() => loadSegmentConfig(path)).toThrow(`SEGMENTS_CONFIG=${path}: not valid JSON (`);
  });

  it('names the file and each wrong entry in it', () => {
    const path = file('wrong.json', JSON.stringify({ version: 'x', abc: { bPercent: 50 }, loyalty: {} }));
    expect(() => loadSegmentConfig(path)).toThrow(
      new ConfigFileError(
        `SEGMENTS_CONFIG=${path} is invalid:\n` +
          '  - loyalty: unknown family (known: version, currency, rfm, valueTiers, abc, valueLoyalty, vip, lifecycle, discount, interests)\n' +
          '  - abc.bPercent: must be above abc.aPercent (80), got 50',
      ),
    );
  });
});
