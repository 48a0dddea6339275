import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFileError } from '../../config/src';
import { DEFAULT_TOUCHPOINT_CONFIG, insideQuietHours, loadTouchpointConfig, touchpointConfig } from './touchpoint-config';

const problemsWith = (override: unknown): string[] => {
  try {
    touchpointConfig(override);
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error;
    return error.message.split('\n').slice(1).map((line) => line.replace(/^ {2}- /, ''));
  }
  throw new Error('the config was accepted');
};

describe('touchpointConfig', () => {
  it('has the issue defaults and merges an override key by key', () => {
    expect(touchpointConfig()).toEqual(DEFAULT_TOUCHPOINT_CONFIG);
    expect(DEFAULT_TOUCHPOINT_CONFIG).toMatchObject({
      sendTime: '10:00',
      quietHours: { start: '21:00', end: '09:00' },
      marketingKinds: ['trip-memories', 'next-trip-idea', 'win-back-offer', 'birthday-greeting', 'campaign'],
      frequencyCap: { perDay: 1, perWindow: 3, windowDays: 7 },
    });
    expect(DEFAULT_TOUCHPOINT_CONFIG.rules['win-back-offer'].monthsWithoutTrip).toBe(18);
    expect(DEFAULT_TOUCHPOINT_CONFIG.rules['risk-notice'].hoursBeforeDeparture).toBe(48);
    expect(DEFAULT_TOUCHPOINT_CONFIG.interestHints.family).toEqual(['child-friendly activities', 'child-friendly restaurants']);
    const config = touchpointConfig({ version: 'ops-2', rules: { 'nps-survey': { daysAfterReturn: 5, sendTime: '18:00' } }, interestHints: { golf: ['golf courses'] } });
    expect(config.rules['nps-survey']).toEqual({ enabled: true, contentHints: ['NPS survey'], interestHints: false, daysAfterReturn: 5, sendTime: '18:00' });
    expect(config.rules['trip-memories']).toEqual(DEFAULT_TOUCHPOINT_CONFIG.rules['trip-memories']);
    expect(Object.keys(config.interestHints)).toContain('golf');
    expect(DEFAULT_TOUCHPOINT_CONFIG.rules['nps-survey'].daysAfterReturn).toBe(3);
  });

  it('names every wrong entry', () => {
    expect(problemsWith({ sendTime: '09:30' })).toEqual(['version: a config that changes the defaults must name its version']);
    expect(
      problemsWith({
        version: 'v2',
        sendTime: '25:00',
        quietHours: { start: '9pm' },
        marketingKinds: ['nps-survey', 'risk-notice', 'party'],
        frequencyCap: { perDay: 0, windowDays: 400 },
        interestHints: { family: 'kids' },
        rules: { 'nps-survey': { daysAfterReturn: -1, sendTime: '8:00' }, 'complaint-resolution': { sendTime: '10:00', hoursAfterFiling: 'soon' }, 'birthday-card': {} },
      }),
    ).toEqual([
      'sendTime: must be a local time HH:MM (got "25:00")',
      'quietHours.start: must be a local time HH:MM (got "9pm")',
      'marketingKinds[1]: risk-notice is an urgent service touchpoint, it cannot need marketing consent',
      'marketingKinds[2]: unknown kind "party"',
      'frequencyCap.perDay: must not be below 1 (got 0)',
      'frequencyCap.windowDays: must be at most 366 (got 400)',
      'interestHints.family: must be a list of non-empty strings',
      expect.stringMatching(/^rules\.birthday-card: unknown kind \(known: destination-guide, departure-reminder, /),
      'rules.nps-survey.sendTime: must be a local time HH:MM (got "8:00")',
      'rules.nps-survey.daysAfterReturn: must not be negative (got -1)',
      'rules.complaint-resolution.sendTime: unknown key (known: enabled, contentHints, interestHints, hoursAfterFiling)',
      'rules.complaint-resolution.hoursAfterFiling: must be a number (got "soon")',
    ]);
    expect(problemsWith({ version: 'v3', rules: { 'mid-trip-check-in': { minNights: 1.5, enabled: 'yes' } }, reminders: {} })).toEqual([
      expect.stringMatching(/^reminders: unknown key \(known: version, sendTime, quietHours, /),
      'rules.mid-trip-check-in.enabled: must be true or false',
      'rules.mid-trip-check-in.minNights: must be a whole number (got 1.5)',
      'rules.mid-trip-check-in.minNights: must not be below 2 (got 1.5)',
    ]);
    expect(() => touchpointConfig([])).toThrow('touchpoint config: must be a JSON object');
  });

  it('reads TOUCHPOINTS_CONFIG and names the variable and file in its errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'touchpoint-config-'));
    try {
      const file = join(dir, 'touchpoints.json');
      expect(loadTouchpointConfig(undefined)).toEqual(DEFAULT_TOUCHPOINT_CONFIG);
      writeFileSync(file, JSON.stringify({ version: 'ops-1', frequencyCap: { perWindow: 2 } }));
      expect(loadTouchpointConfig(file).frequencyCap).toEqual({ perDay: 1, perWindow: 2, windowDays: 7 });
      writeFileSync(file, '{ nope');
      expect(() => loadTouchpointConfig(file)).toThrow(new RegExp(`^TOUCHPOINTS_CONFIG=${file}: not valid JSON`));
      writeFileSync(file, JSON.stringify({ version: 'x', quietHours: { end: '9' } }));
      expect(() => loadTouchpointConfig(file)).toThrow(`TOUCHPOINTS_CONFIG=${file} is invalid:\n  - quietHours.end: must be a local time HH:MM (got "9")`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('insideQuietHours', () => {
  it('reads [start, end), across midnight when start is later, and none when equal', () => {
    const night = { start: '21:00', end: '09:00' };
    expect(['20:59', '21:00', '23:59', '00:00', '08:59', '09:00'].map((time) => insideQuietHours(time, night))).toEqual([false, true, true, true, true, false]);
    const lunch = { start: '12:00', end: '14:00' };
    expect(['11:59', '12:00', '13:59', '14:00'].map((time) => insideQuietHours(time, lunch))).toEqual([false, true, true, false]);
    expect(insideQuietHours('03:00', { start: '00:00', end: '00:00' })).toBe(false);
  });
});
