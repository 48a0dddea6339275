import { isInt, max, min, nonEmptyObject, objectValue, text, type CommandRules, type Property } from './command-shape';
import { InvalidInput } from './domain.errors';
import { LIMITS } from './limits';
import * as v from './validation';

export const RETURN_BEFORE_DEPARTURE = 'must not be before departureDate';

/** An amount of money in minor units; its currency is checked as a format. */
export const money = (optional = false): Property => ({
  optional,
  checks: [objectValue],
  nested: { value: { checks: [isInt, min(0), max(LIMITS.maxMinorUnits)] }, currency: text() },
});

export const bookTrip: CommandRules = {
  shape: {
    bookingId: text({ nonEmpty: true }),
    destination: { checks: [objectValue, nonEmptyObject], nested: { country: text(), city: text({ nonEmpty: true, max: LIMITS.label }) } },
    departureDate: text(),
    returnDate: text(),
    amount: money(),
    travellers: { checks: [isInt, min(1), max(1000)] },
    productType: text({ nonEmpty: true, max: LIMITS.label }),
    channel: text({ nonEmpty: true, max: LIMITS.label }),
  },
  check(data) {
    v.checkId('bookingId', data.bookingId);
    v.checkObject('destination', data.destination);
    v.checkCountry('destination.country', data.destination.country);
    v.checkNonEmptyString('destination.city', data.destination.city);
    v.checkIsoDate('departureDate', data.departureDate);
    v.checkIsoDate('returnDate', data.returnDate);
    if (data.returnDate < data.departureDate) throw new InvalidInput('returnDate', RETURN_BEFORE_DEPARTURE);
    v.checkMoney('amount', data.amount);
    v.checkNonEmptyString('productType', data.productType);
    v.checkNonEmptyString('channel', data.channel);
  },
};

export const amendBooking: CommandRules = {
  shape: { departureDate: text({ optional: true }), returnDate: text({ optional: true }), amount: money(true) },
  pathIds: ['bookingId'],
  check(data) {
    v.checkId('bookingId', data.bookingId);
    if (data.departureDate === undefined && data.returnDate === undefined && data.amount === undefined) {
      throw new InvalidInput('body', 'must change at least one of departureDate, returnDate, amount');
    }
    if (data.departureDate !== undefined) v.checkIsoDate('departureDate', data.departureDate);
    if (data.returnDate !== undefined) v.checkIsoDate('returnDate', data.returnDate);
    if (data.amount !== undefined) v.checkMoney('amount', data.amount);
  },
};

export const cancelBooking: CommandRules = {
  shape: { reason: text({ nonEmpty: true, max: LIMITS.text }), refund: money(true) },
  pathIds: ['bookingId'],
  check(data) {
    v.checkId('bookingId', data.bookingId);
    v.checkNonEmptyString('reason', data.reason);
    if (data.refund !== undefined) v.checkMoney('refund', data.refund);
  },
};

/** RecordDeparture and RecordReturn: only the booking id, from the path. */
export const bookingEvent: CommandRules = {
  shape: {},
  pathIds: ['bookingId'],
  check(data) {
    v.checkId('bookingId', data.bookingId);
  },
};
