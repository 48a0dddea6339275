import { InvalidInput, NotFound, RuleViolated, Unprocessable } from './domain.errors';
import {
  CUSTOMER_ID, booked, cancelled, cmd, complaint, complaintFiled, departed, evt, given, givenContext, raw, registered, registration, returned, trip,
} from './customer.fixtures';
import { creationOf } from './customer.decide';

describe('any command', () => {
  it('rejects an occurredAt that is not an ISO instant with offset', () => {
    given([registered])
      .when(cmd('RecordDeparture', { bookingId: 'bk-1' }, '2025-03-01 10:00'))
      .thenThrows(InvalidInput, { field: 'occurredAt' });
  });

  it('is NotFound on an unknown customer unless it registers', () => {
    given([]).when(cmd('BookTrip', trip)).thenThrows(NotFound, { entity: 'customer', id: CUSTOMER_ID });
  });

  it('rejects a body that is not an object', () => {
    given([registered]).when(raw(cmd('BookTrip', trip), { data: null })).thenThrows(InvalidInput, { field: 'body' });
  });
});

describe('RegisterCustomer', () => {
  it('registers with tags defaulting to []', () => {
    given([]).when(cmd('RegisterCustomer', registration, registered.occurredAt)).then([registered]);
  });

  it('keeps optional profile fields that were given', () => {
    const data = { ...registration, phone: '+49 (30) 123-4567', birthDate: '1990-02-28', tags: ['vip'] };
    given([])
      .when(cmd('RegisterCustomer', data))
      .then([evt('CustomerRegistered', { customerId: CUSTOMER_ID, ...data })]);
  });

  it('stores the time zone as the IANA database spells it', () => {
    given([])
      .when(cmd('RegisterCustomer', { ...registration, timeZone: 'europe/athens' }))
      .then([evt('CustomerRegistered', { customerId: CUSTOMER_ID, ...registration, timeZone: 'Europe/Athens', tags: [] })]);
    given([registered])
      .when(cmd('UpdateCustomerProfile', { timeZone: registration.timeZone.toLowerCase() }))
      .then([]);
  });

  it('refuses to register the same customer twice', () => {
    given([registered]).when(cmd('RegisterCustomer', registration)).thenThrows(RuleViolated, { rule: 'customer.already-registered' });
  });

  it('accepts a birthDate of today in the occurredAt offset', () => {
    given([]).when(cmd('RegisterCustomer', { ...registration, birthDate: '2025-03-01' })).then([
      evt('CustomerRegistered', { customerId: CUSTOMER_ID, ...registration, birthDate: '2025-03-01', tags: [] }),
    ]);
  });

  it.each([
    ['name', { name: '  ' }],
    ['email', { email: 'ada@example' }],
    ['phone', { phone: '12345' }],
    ['birthDate', { birthDate: '1990-02-30' }],
    ['birthDate', { birthDate: '2025-03-02' }],
    ['timeZone', { timeZone: 'Mars/Olympus' }],
    ['language', { language: 'english' }],
    ['preferredChannel', { preferredChannel: 'fax' }],
    ['marketingConsent', { marketingConsent: 'yes' }],
    ['tags', { tags: ['vip', ''] }],
    ['customerId', {}],
  ])('rejects an invalid %s', (field, override) => {
    const command = cmd('RegisterCustomer', raw(registration, override));
    const withId = field === 'customerId' ? { ...command, customerId: 'has space' } : command;
    given([]).when(withId).thenThrows(InvalidInput, { field });
  });
});

describe('UpdateCustomerProfile', () => {
  it('records only the profile fields that change', () => {
    given([registered])
      .when(cmd('UpdateCustomerProfile', { name: registration.name, language: 'de-AT', tags: ['family'] }))
      .then([evt('CustomerProfileUpdated', { language: 'de-AT', tags: ['family'] })]);
  });

  it('records a consent change as MarketingConsentChanged', () => {
    given([registered])
      .when(cmd('UpdateCustomerProfile', { marketingConsent: true, email: 'ada@lovelace.org' }))
      .then([evt('CustomerProfileUpdated', { email: 'ada@lovelace.org' }), evt('MarketingConsentChanged', { granted: true })]);
  });

  it('is a no-op when nothing differs', () => {
    given([registered])
      .when(cmd('UpdateCustomerProfile', { timeZone: 'Europe/Berlin', marketingConsent: false, tags: [] }))
      .thenNothingHappens();
  });

  it('rejects a patch without any known field', () => {
    given([registered])
      .when(cmd('UpdateCustomerProfile', {}))
      .thenThrows(InvalidInput, { field: 'body', rule: 'must change at least one profile field' });
    given([registered])
      .when(cmd('UpdateCustomerProfile', raw({}, { nickname: 'Ada' })))
      .thenThrows(InvalidInput, { field: 'nickname', rule: 'property nickname should not exist' });
  });

  it('validates the fields it is given', () => {
    given([registered]).when(cmd('UpdateCustomerProfile', { timeZone: 'Mars/Olympus' })).thenThrows(InvalidInput, { field: 'timeZone' });
  });

  it('is NotFound for an unknown customer', () => {
    given([]).when(cmd('UpdateCustomerProfile', { name: 'Ada' })).thenThrows(NotFound, { entity: 'customer' });
  });
});

describe('BookTrip', () => {
  it('books a trip', () => {
    given([registered]).when(cmd('BookTrip', trip)).then([evt('TripBooked', trip)]);
  });

  it('accepts a return on the departure day', () => {
    const dayTrip = { ...trip, returnDate: trip.departureDate };
    given([registered]).when(cmd('BookTrip', dayTrip)).then([evt('TripBooked', dayTrip)]);
  });

  it('requires a booking id unique for the customer', () => {
    given([registered, booked()]).when(cmd('BookTrip', trip)).thenThrows(RuleViolated, { rule: 'booking.id-unique' });
  });

  it('does not mistake Object.prototype members for existing bookings', () => {
    const proto = { ...trip, bookingId: '__proto__' };
    given([registered]).when(cmd('BookTrip', proto)).then([evt('TripBooked', proto)]);
  });

  it.each([
    ['destination.country', { destination: { country: 'es', city: 'Palma' } }],
    ['destination.country', { destination: { country: 'ESP', city: 'Palma' } }],
    ['destination.city', { destination: { country: 'ES', city: '' } }],
    ['departureDate', { departureDate: '2025-02-30' }],
    ['returnDate', { returnDate: '14.06.2025' }],
    ['amount.value', { amount: { value: -1, currency: 'EUR' } }],
    ['amount.value', { amount: { value: 10.5, currency: 'EUR' } }],
    ['amount.currency', { amount: { value: 100, currency: 'EURO' } }],
    ['travellers', { travellers: 0 }],
    ['productType', { productType: '' }],
    ['channel', { channel: ' ' }],
    ['bookingId', { bookingId: 'a/b' }],
  ])('rejects an invalid %s', (field, override) => {
    given([registered]).when(cmd('BookTrip', raw(trip, override))).thenThrows(InvalidInput, { field });
  });

  it('rejects a return before departure', () => {
    given([registered])
      .when(cmd('BookTrip', { ...trip, returnDate: '2025-05-31' }))
      .thenThrows(InvalidInput, { field: 'returnDate', rule: 'must not be before departureDate' });
  });
});

describe('AmendBooking', () => {
  const amount = { value: 270_000, currency: 'EUR' };

  it('records only what changes', () => {
    given([registered, booked()])
      .when(cmd('AmendBooking', { bookingId: 'bk-1', departureDate: trip.departureDate, returnDate: '2025-06-15', amount }))
      .then([evt('BookingAmended', { bookingId: 'bk-1', returnDate: '2025-06-15', amount })]);
  });

  it('is a no-op when nothing differs', () => {
    given([registered, booked()]).when(cmd('AmendBooking', { bookingId: 'bk-1', amount: trip.amount })).thenNothingHappens();
  });

  it('is NotFound for an unknown booking, including prototype names', () => {
    given([registered]).when(cmd('AmendBooking', { bookingId: 'constructor', amount })).thenThrows(NotFound, { entity: 'booking', id: 'constructor' });
  });

  it.each([
    ['departed', [departed()]],
    ['cancelled', [cancelled()]],
  ])('refuses to amend a %s booking', (_status, history) => {
    given([registered, booked(), ...history])
      .when(cmd('AmendBooking', { bookingId: 'bk-1', amount }))
      .thenThrows(RuleViolated, { rule: 'booking.not-amendable' });
  });

  it('requires at least one change', () => {
    given([registered, booked()]).when(cmd('AmendBooking', { bookingId: 'bk-1' })).thenThrows(InvalidInput, { field: 'body' });
  });

  it('keeps the return on or after the (new) departure', () => {
    given([registered, booked()])
      .when(cmd('AmendBooking', { bookingId: 'bk-1', departureDate: '2025-06-20' }))
      .thenThrows(InvalidInput, { field: 'returnDate', rule: 'must not be before departureDate' });
  });
});

describe('CancelBooking', () => {
  const cancel = { bookingId: 'bk-1', reason: 'illness' };

  it('cancels with a refund in the booking currency', () => {
    const refund = { value: 250_000, currency: 'EUR' };
    given([registered, booked()]).when(cmd('CancelBooking', { ...cancel, refund })).then([evt('BookingCancelled', { ...cancel, refund })]);
  });

  it('is NotFound for an unknown booking', () => {
    given([registered]).when(cmd('CancelBooking', cancel)).thenThrows(NotFound, { entity: 'booking', id: 'bk-1' });
  });

  it.each([
    ['booking.already-cancelled', [cancelled()]],
    ['booking.cancel-after-return', [departed(), returned()]],
    ['booking.cancel-after-departure', [departed()]],
  ])('violates %s', (rule, history) => {
    given([registered, booked(), ...history]).when(cmd('CancelBooking', cancel)).thenThrows(RuleViolated, { rule });
  });

  it.each([
    ['reason', { reason: '' }],
    ['refund.value', { refund: { value: -5, currency: 'EUR' } }],
    ['refund.currency', { refund: { value: 100, currency: 'USD' } }],
    ['refund.value', { refund: { value: 250_001, currency: 'EUR' } }],
  ])('rejects an invalid %s', (field, override) => {
    given([registered, booked()]).when(cmd('CancelBooking', raw(cancel, override))).thenThrows(InvalidInput, { field });
  });
});

describe('RecordDeparture', () => {
  it('records the departure of a booked trip', () => {
    given([registered, booked()]).when(cmd('RecordDeparture', { bookingId: 'bk-1' })).then([evt('TripDeparted', { bookingId: 'bk-1' })]);
  });

  it('is NotFound for an unknown booking', () => {
    given([registered]).when(cmd('RecordDeparture', { bookingId: 'bk-1' })).thenThrows(NotFound, { entity: 'booking' });
  });

  it.each([
    ['booking.departure-of-cancelled', [cancelled()]],
    ['booking.already-departed', [departed()]],
    ['booking.already-departed', [departed(), returned()]],
  ])('violates %s', (rule, history) => {
    given([registered, booked(), ...history]).when(cmd('RecordDeparture', { bookingId: 'bk-1' })).thenThrows(RuleViolated, { rule });
  });
});

describe('RecordReturn', () => {
  it('records the return of a departed trip', () => {
    given([registered, booked(), departed()]).when(cmd('RecordReturn', { bookingId: 'bk-1' })).then([evt('TripReturned', { bookingId: 'bk-1' })]);
  });

  it('is NotFound for an unknown booking', () => {
    given([registered]).when(cmd('RecordReturn', { bookingId: 'bk-9' })).thenThrows(NotFound, { entity: 'booking', id: 'bk-9' });
  });

  it.each([
    ['booking.return-before-departure', []],
    ['booking.return-of-cancelled', [cancelled()]],
    ['booking.already-returned', [departed(), returned()]],
  ])('violates %s', (rule, history) => {
    given([registered, booked(), ...history]).when(cmd('RecordReturn', { bookingId: 'bk-1' })).thenThrows(RuleViolated, { rule });
  });
});

it('stamps events with the command time, not the clock', () => {
  given([registered, booked()])
    .when(cmd('RecordDeparture', { bookingId: 'bk-1' }, '1999-12-31T23:59:59.999-05:00'))
    .then([evt('TripDeparted', { bookingId: 'bk-1' }, '1999-12-31T23:59:59.999-05:00')]);
});

describe('a booking currency without a configured exchange rate', () => {
  const rated = givenContext({ currencies: new Set(['EUR', 'USD']) });
  const sek = { value: 100_000, currency: 'SEK' };

  it('refuses a booking in it, naming the rule', () => {
    rated([registered]).when(cmd('BookTrip', { ...trip, amount: sek })).thenThrows(Unprocessable, { rule: 'booking.currency-without-rate' });
  });

  it('refuses an amendment to it', () => {
    rated([registered, booked()]).when(cmd('AmendBooking', { bookingId: trip.bookingId, amount: sek })).thenThrows(Unprocessable, { rule: 'booking.currency-without-rate' });
  });

  it('accepts a currency that has one', () => {
    rated([registered]).when(cmd('BookTrip', { ...trip, amount: { value: 1, currency: 'USD' } })).then([evt('TripBooked', { ...trip, amount: { value: 1, currency: 'USD' } })]);
  });
});

describe('creationOf (a natural id sent again)', () => {
  const history = [registered, booked('bk-1'), departed('bk-1'), booked('bk-2'), complaintFiled()];

  it('finds the event that first used the id a creating command names', () => {
    expect(creationOf(cmd('RegisterCustomer', registration), history)).toBe(0);
    expect(creationOf(cmd('BookTrip', { ...trip, bookingId: 'bk-2' }), history)).toBe(3);
    expect(creationOf(cmd('FileComplaint', complaint), history)).toBe(4);
  });

  it('is -1 for an id not used yet, and for commands that create nothing', () => {
    expect(creationOf(cmd('BookTrip', { ...trip, bookingId: 'bk-3' }), history)).toBe(-1);
    expect(creationOf(cmd('RegisterCustomer', registration), [])).toBe(-1);
    expect(creationOf(cmd('RecordDeparture', { bookingId: 'bk-1' }), history)).toBe(-1);
    expect(creationOf(cmd('LogInteraction', { interactionId: 'bk-1', channel: 'phone', direction: 'inbound', topic: 't', summary: 's' }), history)).toBe(-1);
  });
});
