import type { Money } from './customer.events';

const digits = new Map<string, number>();

/** Decimal places of a currency's minor unit (EUR 2, JPY 0, BHD 3), from the ISO 4217 data Intl carries. */
export const minorUnitDigits = (currency: string): number => {
  let n = digits.get(currency);
  if (n === undefined) {
    n = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digits.set(currency, n);
  }
  return n;
};

/**
 * A decimal amount in major units as integer minor units. Rounds half away from zero on the decimal text, so
 * binary floating point cannot turn 1299.95 into 129994.
 */
export const fromMajorUnits = (major: number, currency: string): Money => {
  if (!Number.isFinite(major)) throw new RangeError(`amount ${major} ${currency} is not a finite number`);
  const places = minorUnitDigits(currency);
  const scaled = Number(`${Math.abs(major).toFixed(places + 3)}e${places}`);
  const value = Math.sign(major) * Math.round(scaled);
  return { value: value === 0 ? 0 : value, currency };
};
