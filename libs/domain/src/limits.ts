/**
 * The range of every value a command may carry: what every read model column, every time zone and every sum can
 * hold. The parser (command-shape.ts, validation.ts) enforces them and the DTOs document them (OpenAPI), from here.
 */
export const LIMITS = {
  /**
   * Calendar dates, and instants in UTC. Below 1900 JavaScript's Date.UTC reads years 0-99 as 1900-1999 and zones
   * have no offsets of whole minutes; above it, a touchpoint lies at most 50 years (first-trip anniversary) plus the
   * 10-year birthday and win-back horizons after a fact, so every scheduled date stays a 4-digit year (< 2300) that
   * PostgreSQL's date and timestamptz, and the YYYY-MM-DD text the read models answer with, can hold.
   */
  firstDate: '1900-01-01',
  lastDate: '2200-12-31',
  /**
   * Minor units of one amount (10^12: 10 billion EUR, 10 billion IDR in its 2-decimal minor units). Sums of amounts
   * (a customer's revenue, segment and churn totals) are exact in a JavaScript number up to 2^53, that is at least
   * 9,007 bookings at the maximum, and the read models keep them as bigint or jsonb numeric.
   */
  maxMinorUnits: 1_000_000_000_000,
  /** A person's name. */
  name: 200,
  /** Short labels: city, product type, channel, complaint category, responsible department, interaction topic, one tag. */
  label: 100,
  /** Interest tags on a customer. */
  tags: 50,
  /** Free text a person writes: descriptions, notes, reasons, summaries, comments. */
  text: 2000,
  /** An IANA zone name (the longest is 32 characters). */
  timeZone: 64,
  /** A BCP 47 language tag (RFC 5646 section 4.4.1 asks implementations to take at least 35). */
  language: 35,
  email: 320,
  phone: 40,
} as const;
