import type { Response } from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app';
import { command, complaint, expectNoStackTrace, interaction, registration, trip } from './customer-api.fixtures';

/**
 * Hostile text in every text field of every command (issue 7, hardening): SQL, HTML, JSON-in-a-string, template
 * syntax, a path, 10,000 characters of mixed Unicode, NUL, a right-to-left override and a lone surrogate, in the
 * body and in the path. Each must be refused (400 naming the field, or 413/415) with nothing written, or stored
 * and read back through the API byte for byte as JSON; never a 500, never a stack trace or SQL in an answer.
 * Round trips go through the HTTP API only, so they hold whether the log stores personal fields in clear or not.
 */

// Mixed scripts, RTL, combining marks, ZWJ emoji, a flag, BOM and U+2028 (legal raw in JSON, a line end in JS).
const UNICODE_PIECES = [
  'Ελληνικά ', 'Кириллица ', '中文字符 ', '日本語 ', '한국어 ', 'עברית ', 'العربية ', 'हिन्दी ', 'e\u0301\u0323 ', 'Z\u0351\u0352\u0353 ',
  '👩‍👩‍👧‍👦 ', '🇬🇷 ', '\u202bRTL\u202c ', '\u200d\ufeff ', '\u2028 ', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ',
];
// Cut at 10,000 code points (Array.from), so no surrogate pair is split.
const LONG_UNICODE = Array.from(UNICODE_PIECES.join('').repeat(200)).slice(0, 10_000).join('');

interface Payload {
  name: string;
  value: string;
  /** PostgreSQL text and jsonb cannot hold it (the read models choke on it even where the log holds it encrypted): 400 naming the field. */
  unstorable?: boolean;
}

const PAYLOADS: Payload[] = [
  { name: 'SQL drop', value: "'; DROP TABLE event_store.events; --" },
  { name: 'SQL delete', value: "Robert'); DELETE FROM read_models.customer_overview;--" },
  { name: 'script tag', value: '<script>alert(1)</script>' },
  { name: 'img onerror', value: '<img src=x onerror=alert(1)>' },
  { name: 'JSON operator', value: '{"$where": "1==1"}' },
  { name: 'JSON break-out', value: '"},"admin":true,"x":{"' },
  { name: 'template', value: '${7*7}{{7*7}}' },
  { name: 'path traversal', value: '../../etc/passwd' },
  { name: '10,000 Unicode characters', value: LONG_UNICODE },
  { name: 'NUL', value: 'nul\u0000byte', unstorable: true },
  { name: 'RTL override', value: 'invoice\u202egpj.exe' },
  { name: 'lone surrogate', value: 'half \ud800 pair', unstorable: true },
];

/** A parsed JSON answer, read through `dig`. */
type Answer = Record<string, unknown>;

interface Ids {
  customerId: string;
  bookingId?: string;
  complaintId?: string;
  touchpointId?: string;
}
type PathId = keyof Ids;

/** Where else (besides the event itself) an accepted field is shown, and how to pick it out of that answer. */
interface View {
  at: 'state' | 'overview' | 'touchpoints';
  pick: (answer: Answer, ids: Ids) => unknown;
}

interface Command {
  /** The command type: also the `type` of its import line. */
  type: string;
  method: 'post' | 'patch' | 'delete';
  route: string;
  path: (ids: Ids) => string;
  /** Text fields in the path. */
  pathIds: PathId[];
  /** A valid body; `n` is unique per case, for client-chosen ids. */
  body: (ids: Ids, n: number) => Record<string, unknown>;
  /** Text fields in the body, as the API names them ('destination.city', 'tags.0' for the first tag). */
  fields: string[];
  /** Ids of a target the command can act on; the same target until `consume` (a command changed it). */
  target: (n: number) => Promise<Ids>;
  consume?: () => void;
  eventType: string;
  views?: (field: string) => View[];
  /** Not a customer command: no import line, read back from the export. */
  apiOnly?: boolean;
  /** Answers only once the projections have caught up (the touchpoint schedule). */
  needsProjections?: boolean;
}

let t: TestApp;
let counter = 0;
const next = (): number => ++counter;

/** One target (booking, complaint, VIP...) reused until an accepted command has changed it. */
const reusable = (create: () => Promise<Ids>): { target: () => Promise<Ids>; consume: () => void } => {
  let current: Promise<Ids> | undefined;
  return { target: () => (current ??= create()), consume: () => (current = undefined) };
};

const post = async (path: string, body: object, status = 201): Promise<void> => {
  await command(t, 'post', path, body, status);
};
const register = async (prefix: string): Promise<string> => {
  const customerId = `${prefix}-${next()}`;
  await post('/customers', registration(customerId));
  return customerId;
};
const book = async (customerId: string, overrides: Record<string, unknown> = {}): Promise<string> => {
  const bookingId = `bk-${next()}`;
  await post(`/customers/${customerId}/bookings`, trip(bookingId, overrides));
  return bookingId;
};
const fileComplaint = async (customerId: string): Promise<string> => {
  const complaintId = `cp-${next()}`;
  await post(`/customers/${customerId}/complaints`, complaint(complaintId));
  return complaintId;
};

/** Percent-encodes a path segment; a lone surrogate (which encodeURIComponent refuses) as its UTF-8-shaped bytes. */
const encodeSegment = (text: string): string =>
  Array.from(text)
    .map((ch) => {
      try {
        return encodeURIComponent(ch);
      } catch {
        const c = ch.charCodeAt(0);
        return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
      }
    })
    .join('');

const dig = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined), value);
const getPath = (value: unknown, path: string): unknown => dig(value, ...path.split('.'));
/** The record added last ({...record, [id]: value} keeps insertion order). */
const last = (value: unknown): unknown => Object.values((value ?? {}) as object).at(-1);

const withPath = (body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> => {
  const copy = structuredClone(body);
  const keys = path.split('.');
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
  return copy;
};

/** The name a refusal should give: the field, or the array holding it ('tags' for 'tags.0'). */
const namesField = (answer: Answer, field: string): boolean => {
  const right: unknown[] = [field, field.replace(/\.\d+$/, '')];
  const named = [answer.field, ...(Array.isArray(answer.errors) ? answer.errors.map((e: { field?: string }) => e.field) : [])];
  return named.some((name) => right.includes(name));
};

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}... (${text.length} characters)` : text;
};

const SQL_IN_ERROR = /syntax error|relation "|violates|column "|\bpg_|SQLSTATE|\bselect\b.+\bfrom\b|\binsert into\b|\bunnest\b/i;

/** Answer-level checks every case shares: no 5xx, JSON (never HTML), nosniff, no stack trace or SQL. */
const checkAnswer = (res: Response, payload: Payload, problems: string[], label: string): void => {
  if (res.status >= 500) problems.push(`${label}: ${res.status} ${show(res.text)}`);
  const type = String(res.headers['content-type'] ?? '');
  // Node itself answers an over-long request line (431) with no body at all.
  if (res.text && !type.startsWith('application/json')) problems.push(`${label}: Content-Type ${type || 'none'} (${res.status}) ${show(res.text)}`);
  if (res.text && res.headers['x-content-type-options'] !== 'nosniff') problems.push(`${label}: no X-Content-Type-Options: nosniff`);
  if (res.status >= 400) {
    try {
      expectNoStackTrace(res);
    } catch {
      problems.push(`${label}: stack trace in ${show(res.text)}`);
    }
    // The payload may be echoed back (harmless inside JSON); what must not show is SQL of the app's own.
    const escaped = JSON.stringify(payload.value).slice(1, -1);
    if (SQL_IN_ERROR.test(res.text.split(escaped).join(''))) problems.push(`${label}: SQL in the error ${show(res.text)}`);
  }
};

interface Event {
  eventId: string;
  streamId: string;
  type: string;
  globalPosition: number;
  data: Answer;
}

interface Accepted {
  label: string;
  streamId?: string;
  eventId?: string;
  field: string;
  value: string;
}
/** Set once the read models stop following the log (a poison event): later cases skip them rather than wait. */
let stalled: string | undefined;
/** Accepted values, checked once more at the end in GET /exports/events. */
const accepted: Accepted[] = [];
/** For the summary line: runs, requests, statuses, and which payloads each field stored. */
const totals = { commands: new Set<string>(), fields: 0, requests: 0, outcomes: {} as Record<string, number>, accepted: {} as Record<string, string[]> };

/** Sends every payload in each of `fields` of `cmd` through `send`, and lists what went wrong. */
async function attack(
  cmd: Command,
  fields: { field: string; inPath: boolean }[],
  send: (ids: Ids, body: Record<string, unknown>, field: string, inPath: boolean, value: string) => Promise<Response>,
  via: string,
): Promise<{ problems: string[]; requests: number; outcomes: Record<string, number> }> {
  const problems: string[] = [];
  const outcomes: Record<string, number> = {};
  let requests = 0;
  if (cmd.needsProjections && stalled) return { problems: [`${via}: not run, the read models stopped at an earlier case (${stalled})`], requests, outcomes };
  for (const { field, inPath } of fields) {
    for (const payload of PAYLOADS) {
      const label = `${via} · ${field}${inPath ? ' (path)' : ''} ← ${payload.name}`;
      const n = next();
      const ids = await cmd.target(n);
      const body = cmd.body(ids, n);
      const before = await t.eventCount();
      const res = await send(ids, body, field, inPath, payload.value);
      requests++;
      const written = (await t.eventCount()) - before;
      outcomes[res.status] = (outcomes[res.status] ?? 0) + 1;
      checkAnswer(res, payload, problems, label);
      if ([400, 413, 415, 414, 431].includes(res.status)) {
        if (written !== 0) problems.push(`${label}: refused with ${res.status} but ${written} event(s) written`);
        // An import answers 400 for the whole body and names the field in the line's rejection.
        const answer = res.body?.rejections?.[0] ?? res.body;
        // A lone surrogate cannot be percent-encoded as UTF-8: the router refuses the path before any route sees it.
        const undecodable = inPath && /^Failed to decode param/.test(String(answer.message));
        if (res.status === 400 && !undecodable && !namesField(answer, field)) {
          problems.push(`${label}: 400 names ${show(answer.field)} (${show(answer.message)}), not ${field}`);
        }
        if ([414, 431].includes(res.status) && !(inPath && payload.value === LONG_UNICODE)) problems.push(`${label}: ${res.status} for a short value`);
        continue;
      }
      if (res.status < 200 || res.status >= 300) {
        problems.push(`${label}: unexpected ${res.status} ${show(res.body)}`);
        continue;
      }
      if (payload.unstorable) problems.push(`${label}: accepted (${res.status}); the field must be refused with 400`);
      if (inPath) problems.push(`${label}: accepted (${res.status}) a path id that is not an id`);
      if (written !== 1) problems.push(`${label}: accepted, wrote ${written} events, expected 1`);
      cmd.consume?.();
      totals.accepted[`${via} · ${field}`] = [...(totals.accepted[`${via} · ${field}`] ?? []), payload.name];
      await readBack(cmd, ids, body, field, payload, label, problems);
    }
  }
  return { problems, requests, outcomes };
}

/** An accepted value must read back exactly from the event and from every view that shows the field. */
async function readBack(cmd: Command, ids: Ids, body: Record<string, unknown>, field: string, payload: Payload, label: string, problems: string[]): Promise<void> {
  const mismatch = (where: string, got: unknown): void => {
    if (got !== payload.value) problems.push(`${label}: ${where} reads ${show(got)}, sent ${show(payload.value)}`);
  };
  const json = (res: Response, where: string): Answer => {
    if (res.status !== 200 || !String(res.headers['content-type']).startsWith('application/json')) {
      problems.push(`${label}: ${where} answered ${res.status} ${res.headers['content-type']} ${show(res.text)}`);
    }
    return res.body as Answer;
  };
  if (cmd.apiOnly) {
    accepted.push({ label, streamId: `risk-alert-${String(body.alertId)}`, field, value: payload.value });
    return;
  }
  const customer = `/customers/${ids.customerId}`;
  const events = json(await t.http().get(`${customer}/events`).query({ limit: 1000 }), 'GET /customers/:id/events').events as Event[] | undefined;
  const event = events?.at(-1);
  if (!event || event.type !== cmd.eventType) {
    problems.push(`${label}: last event is ${show(event?.type)}, expected ${cmd.eventType}`);
    return;
  }
  mismatch(`event ${event.type} data.${field}`, getPath(event.data, field));
  accepted.push({ label, eventId: event.eventId, field, value: payload.value });
  const views = cmd.views?.(field) ?? [];
  if (!views.length || stalled) return;
  // Read your own write: the overview waits (bounded) until the projections include it.
  let overview = await t.http().get(customer).query({ minPosition: event.globalPosition });
  // The API waits a few seconds; a loaded CI can lag longer without anything stuck, so give the projector 30 s more.
  if (overview.headers['x-read-model-stale'] && (await t.runtime.projector.waitFor(event.globalPosition, 30_000))) {
    overview = await t.http().get(customer).query({ minPosition: event.globalPosition });
  }
  if (overview.headers['x-read-model-stale']) {
    // Diagnosis only (not a round trip): why the projector is stuck, from its checkpoint table.
    const { rows } = await t.runtime.readModels.query('SELECT name, last_error FROM read_models.projection_checkpoints WHERE last_error IS NOT NULL');
    stalled = rows.map((r: { name: string; last_error: string }) => `${r.name}: ${r.last_error}`).join('; ') || 'no error recorded';
    problems.push(`${label}: the read models stopped before this event (${stalled}); later cases skip the read-model views`);
    return;
  }
  for (const view of views) {
    const answer =
      view.at === 'overview'
        ? json(overview, 'GET /customers/:id')
        : // The schedule is a read model of its own: read your write there too (the state is folded from the log).
          json(await t.http().get(`${customer}/${view.at}`).query(view.at === 'touchpoints' ? { minPosition: event.globalPosition } : {}), `GET /customers/:id/${view.at}`);
    mismatch(`GET /customers/:id${view.at === 'overview' ? '' : `/${view.at}`} (${field})`, view.pick(answer, ids));
  }
}

/** Cases through the HTTP endpoint: body fields in the JSON body, path ids URL-encoded in the path. */
const viaApi = (cmd: Command) => (ids: Ids, body: Record<string, unknown>, field: string, inPath: boolean, value: string): Promise<Response> => {
  const pathIds = Object.fromEntries(Object.entries(ids).map(([key, id]) => [key, encodeSegment(inPath && key === field ? value : String(id))])) as unknown as Ids;
  return t.http()[cmd.method](cmd.path(pathIds)).send(inPath ? body : withPath(body, field, value));
};

/** The same command as one line of POST /imports: the body plus type, customerId, the path ids and occurredAt. */
const importLine = (cmd: Command, ids: Ids, body: Record<string, unknown>): Record<string, unknown> => {
  const pathIds = Object.fromEntries(cmd.pathIds.map((key) => [key, ids[key]]));
  return { type: cmd.type, customerId: ids.customerId, ...pathIds, ...body, occurredAt: body.occurredAt ?? '2025-07-01T00:00:00Z' };
};
const viaImport = (cmd: Command) => (ids: Ids, body: Record<string, unknown>, field: string, _inPath: boolean, value: string): Promise<Response> => {
  const line = withPath(importLine(cmd, ids, body), field, value);
  return t.http().post('/imports').set('Content-Type', 'application/x-ndjson').send(`${JSON.stringify(line)}\n`);
};

const PROFILE = ['name', 'email', 'phone', 'birthDate', 'timeZone', 'language', 'preferredChannel', 'tags.0'];
const profileViews = (field: string): View[] =>
  PROFILE.includes(field)
    ? [
        { at: 'overview', pick: (o) => getPath(o, field) },
        { at: 'state', pick: (s) => getPath(dig(s, 'state', 'profile'), field) },
      ]
    : [];

// Customers the commands share: each case that is accepted leaves them valid for the next.
const shared: Record<'profile' | 'booker' | 'bookings' | 'care' | 'surveys' | 'interactions' | 'touchpoints', string> = {
  profile: 'inj-profile',
  booker: 'inj-booker',
  bookings: 'inj-bookings',
  care: 'inj-care',
  surveys: 'inj-surveys',
  interactions: 'inj-interactions',
  touchpoints: 'inj-touchpoints',
};
const SHARED_BOOKING = 'bk-shared';
const openTouchpoints: string[] = [];

const cancellable = reusable(async () => ({ customerId: shared.bookings, bookingId: await book(shared.bookings) }));
const acknowledgeable = reusable(async () => ({ customerId: shared.care, complaintId: await fileComplaint(shared.care) }));
const resolvable = reusable(async () => ({ customerId: shared.care, complaintId: await fileComplaint(shared.care) }));
const notVip = reusable(async () => ({ customerId: await register('inj-vip') }));
const vip = reusable(async () => {
  const customerId = await register('inj-unvip');
  await post(`/customers/${customerId}/vip`, { reason: 'key account' });
  return { customerId };
});
const openTouchpoint = reusable(async () => {
  const touchpointId = openTouchpoints.shift();
  if (!touchpointId) throw new Error('ran out of open touchpoints: book more trips in beforeAll');
  return { customerId: shared.touchpoints, touchpointId };
});
const forgettable = reusable(async () => ({ customerId: await register('inj-forget') }));
const fixed = (ids: Ids) => async (): Promise<Ids> => ids;

const COMMANDS: Command[] = [
  // First: it answers only once the projections have caught up, so a poison event from a later case cannot hide it.
  {
    type: 'CompleteTouchpoint',
    method: 'post',
    route: 'POST /touchpoints/:touchpointId/complete',
    path: (ids) => `/touchpoints/${ids.touchpointId}/complete`,
    pathIds: ['touchpointId'],
    body: () => ({ outcome: 'done', note: 'Happy with the hotel' }),
    fields: ['outcome', 'note', 'occurredAt'],
    ...openTouchpoint,
    eventType: 'TouchpointCompleted',
    needsProjections: true,
    views: (field) => (field === 'note' ? [{ at: 'touchpoints', pick: (a, ids) => (a.touchpoints as { touchpointId: string; note: unknown }[]).find((r) => r.touchpointId === ids.touchpointId)?.note }] : []),
  },
  {
    type: 'RegisterCustomer',
    method: 'post',
    route: 'POST /customers',
    path: () => '/customers',
    pathIds: [],
    body: (ids) => registration(ids.customerId),
    fields: ['customerId', ...PROFILE, 'occurredAt'],
    target: async (n) => ({ customerId: `inj-reg-${n}` }),
    eventType: 'CustomerRegistered',
    views: profileViews,
  },
  {
    type: 'UpdateCustomerProfile',
    method: 'patch',
    route: 'PATCH /customers/:id',
    path: (ids) => `/customers/${ids.customerId}`,
    pathIds: ['customerId'],
    // Every accepted case changes the field to a new value: one CustomerProfileUpdated each.
    body: (_ids, n) => ({ name: `Maria ${n}` }),
    fields: [...PROFILE, 'occurredAt'],
    target: fixed({ customerId: shared.profile }),
    eventType: 'CustomerProfileUpdated',
    views: profileViews,
  },
  {
    type: 'BookTrip',
    method: 'post',
    route: 'POST /customers/:id/bookings',
    path: (ids) => `/customers/${ids.customerId}/bookings`,
    pathIds: ['customerId'],
    body: (_ids, n) => trip(`bk-${n}`),
    fields: ['bookingId', 'destination.country', 'destination.city', 'departureDate', 'returnDate', 'amount.currency', 'productType', 'channel', 'occurredAt'],
    target: fixed({ customerId: shared.booker }),
    eventType: 'TripBooked',
    views: (field) => (field === 'bookingId' ? [] : [{ at: 'state', pick: (s) => getPath(last(dig(s, 'state', 'bookings')), field) }]),
  },
  {
    type: 'AmendBooking',
    method: 'post',
    route: 'POST /customers/:id/bookings/:bookingId/amend',
    path: (ids) => `/customers/${ids.customerId}/bookings/${ids.bookingId}/amend`,
    pathIds: ['customerId', 'bookingId'],
    body: () => ({ amount: { value: 240_000, currency: 'EUR' } }),
    fields: ['departureDate', 'returnDate', 'amount.currency', 'occurredAt'],
    target: fixed({ customerId: shared.bookings, bookingId: SHARED_BOOKING }),
    eventType: 'BookingAmended',
  },
  {
    type: 'CancelBooking',
    method: 'post',
    route: 'POST /customers/:id/bookings/:bookingId/cancel',
    path: (ids) => `/customers/${ids.customerId}/bookings/${ids.bookingId}/cancel`,
    pathIds: ['customerId', 'bookingId'],
    body: () => ({ reason: 'illness', refund: { value: 1000, currency: 'EUR' } }),
    fields: ['reason', 'refund.currency', 'occurredAt'],
    ...cancellable,
    eventType: 'BookingCancelled',
    views: (field) => (field === 'reason' ? [{ at: 'state', pick: (s, ids) => dig(s, 'state', 'bookings', ids.bookingId!, 'cancellationReason') }] : []),
  },
  {
    type: 'RecordDeparture',
    method: 'post',
    route: 'POST /customers/:id/bookings/:bookingId/departure',
    path: (ids) => `/customers/${ids.customerId}/bookings/${ids.bookingId}/departure`,
    pathIds: ['customerId', 'bookingId'],
    body: () => ({}),
    fields: ['occurredAt'],
    target: fixed({ customerId: shared.bookings, bookingId: SHARED_BOOKING }),
    eventType: 'TripDeparted',
  },
  {
    type: 'RecordReturn',
    method: 'post',
    route: 'POST /customers/:id/bookings/:bookingId/return',
    path: (ids) => `/customers/${ids.customerId}/bookings/${ids.bookingId}/return`,
    pathIds: ['customerId', 'bookingId'],
    body: () => ({}),
    fields: ['occurredAt'],
    target: fixed({ customerId: shared.bookings, bookingId: SHARED_BOOKING }),
    eventType: 'TripReturned',
  },
  {
    type: 'FileComplaint',
    method: 'post',
    route: 'POST /customers/:id/complaints',
    path: (ids) => `/customers/${ids.customerId}/complaints`,
    pathIds: ['customerId'],
    body: (_ids, n) => complaint(`cp-${n}`, { bookingId: SHARED_BOOKING }),
    fields: ['complaintId', 'bookingId', 'category', 'severity', 'channel', 'description', 'occurredAt'],
    target: fixed({ customerId: shared.care }),
    eventType: 'ComplaintFiled',
    // The complaint's state keeps its category; channel and description live in the event only.
    views: (field) => (field === 'category' ? [{ at: 'state', pick: (s) => dig(last(dig(s, 'state', 'complaints')), 'category') }] : []),
  },
  {
    type: 'AcknowledgeComplaint',
    method: 'post',
    route: 'POST /customers/:id/complaints/:complaintId/acknowledge',
    path: (ids) => `/customers/${ids.customerId}/complaints/${ids.complaintId}/acknowledge`,
    pathIds: ['customerId', 'complaintId'],
    body: () => ({ note: 'called back' }),
    fields: ['note', 'occurredAt'],
    ...acknowledgeable,
    eventType: 'ComplaintAcknowledged',
  },
  {
    type: 'ResolveComplaint',
    method: 'post',
    route: 'POST /customers/:id/complaints/:complaintId/resolve',
    path: (ids) => `/customers/${ids.customerId}/complaints/${ids.complaintId}/resolve`,
    pathIds: ['customerId', 'complaintId'],
    body: () => ({ resolution: 'Voucher sent', compensation: { value: 5000, currency: 'EUR' } }),
    fields: ['resolution', 'compensation.currency', 'occurredAt'],
    ...resolvable,
    eventType: 'ComplaintResolved',
    views: (field) => (field === 'resolution' ? [{ at: 'state', pick: (s, ids) => dig(s, 'state', 'complaints', ids.complaintId!, 'resolution') }] : []),
  },
  {
    type: 'AnswerSurvey',
    method: 'post',
    route: 'POST /customers/:id/surveys',
    path: (ids) => `/customers/${ids.customerId}/surveys`,
    pathIds: ['customerId'],
    body: (_ids, n) => ({ surveyId: `s-${n}`, bookingId: SHARED_BOOKING, nps: 9, comment: 'Lovely' }),
    fields: ['surveyId', 'bookingId', 'comment', 'occurredAt'],
    target: fixed({ customerId: shared.surveys }),
    eventType: 'SurveyAnswered',
    views: (field) => (field === 'comment' ? [{ at: 'state', pick: (s) => dig(last(dig(s, 'state', 'surveys')), 'comment') }] : []),
  },
  {
    type: 'LogInteraction',
    method: 'post',
    route: 'POST /customers/:id/interactions',
    path: (ids) => `/customers/${ids.customerId}/interactions`,
    pathIds: ['customerId'],
    body: (_ids, n) => interaction(`i-${n}`),
    fields: ['interactionId', 'channel', 'direction', 'topic', 'summary', 'occurredAt'],
    target: fixed({ customerId: shared.interactions }),
    eventType: 'InteractionLogged',
  },
  {
    type: 'GrantVipStatus',
    method: 'post',
    route: 'POST /customers/:id/vip',
    path: (ids) => `/customers/${ids.customerId}/vip`,
    pathIds: ['customerId'],
    body: () => ({ reason: 'Three long-haul trips a year' }),
    fields: ['reason', 'occurredAt'],
    ...notVip,
    eventType: 'VipStatusGranted',
  },
  {
    type: 'RevokeVipStatus',
    method: 'delete',
    route: 'DELETE /customers/:id/vip',
    path: (ids) => `/customers/${ids.customerId}/vip`,
    pathIds: ['customerId'],
    body: () => ({ reason: 'No trips for two years' }),
    fields: ['reason', 'occurredAt'],
    ...vip,
    eventType: 'VipStatusRevoked',
  },
  {
    type: 'IssueRiskAlert',
    method: 'post',
    route: 'POST /risk-alerts',
    path: () => '/risk-alerts',
    pathIds: [],
    body: (_ids, n) => ({ alertId: `ra-${n}`, country: 'GR', city: 'Chania', from: '2031-07-01', to: '2031-07-10', severity: 'high', message: 'Ferry strike' }),
    fields: ['alertId', 'country', 'city', 'from', 'to', 'severity', 'message', 'occurredAt'],
    target: fixed({ customerId: 'none' }),
    eventType: 'DestinationRiskAlertIssued',
    apiOnly: true,
  },
];

const FORGET: Command = {
  type: 'ForgetCustomer',
  method: 'post',
  route: 'POST /customers/:id/forget',
  path: (ids) => `/customers/${ids.customerId}/forget`,
  pathIds: ['customerId'],
  body: () => ({ reason: 'Asked to be forgotten (GDPR art. 17)' }),
  fields: ['reason', 'occurredAt'],
  ...forgettable,
  eventType: 'CustomerForgotten',
};

const apiFields = (cmd: Command) => [...cmd.pathIds.map((field) => ({ field, inPath: true })), ...cmd.fields.map((field) => ({ field, inPath: false }))];
// An import line carries the path ids as fields, and has line-only fields of its own (shown once, on RegisterCustomer).
const importFields = (cmd: Command) =>
  [...(cmd.type === 'RegisterCustomer' ? ['type', 'eventId'] : ['customerId']), ...cmd.pathIds.filter((id) => id !== 'customerId'), ...cmd.fields]
    .filter((field, i, all) => all.indexOf(field) === i)
    .map((field) => ({ field, inPath: false }));

const run = async (cmd: Command, via: 'api' | 'import'): Promise<void> => {
  const fields = via === 'api' ? apiFields(cmd) : importFields(cmd);
  const { problems, requests, outcomes } = await attack(cmd, fields, via === 'api' ? viaApi(cmd) : viaImport(cmd), via === 'api' ? cmd.route : `POST /imports ${cmd.type}`);
  totals.commands.add(`${via} ${cmd.type}`);
  totals.fields += fields.length;
  totals.requests += requests;
  for (const [status, count] of Object.entries(outcomes)) totals.outcomes[status] = (totals.outcomes[status] ?? 0) + count;
  // Still a working database: the list answers, and the log can be counted.
  const list = await t.http().get('/customers').query({ limit: 1 });
  if (list.status !== 200) problems.push(`after ${cmd.type}: GET /customers answered ${list.status} ${show(list.text)}`);
  expect(problems).toEqual([]);
};

beforeAll(async () => {
  t = await startTestApp();
  for (const customerId of Object.values(shared)) await post('/customers', registration(customerId));
  await post(`/customers/${shared.bookings}/bookings`, trip(SHARED_BOOKING));
  for (const customerId of [shared.care, shared.surveys]) await post(`/customers/${customerId}/bookings`, trip(SHARED_BOOKING));
  // Trips far ahead: six open touchpoints each, one per accepted completion.
  let position = 0;
  for (let i = 0; i < 5; i++) {
    const answer = await command(t, 'post', `/customers/${shared.touchpoints}/bookings`, trip(`bk-tp-${i}`, { departureDate: `2030-0${i + 1}-10`, returnDate: `2030-0${i + 1}-20` }), 201);
    position = answer.position ?? position;
  }
  const schedule = await t.http().get(`/customers/${shared.touchpoints}/touchpoints`).query({ minPosition: position }).expect(200);
  expect(schedule.headers['x-read-model-stale']).toBeUndefined();
  openTouchpoints.push(...schedule.body.touchpoints.filter((r: { status: string }) => r.status === 'open').map((r: { touchpointId: string }) => r.touchpointId));
}, 60_000);
afterAll(async () => {
  const accepted = Object.entries(totals.accepted).map(([field, names]) => `${field} ×${names.length}`);
  console.log(`injection cases: ${JSON.stringify({ runs: totals.commands.size, fields: totals.fields, payloads: PAYLOADS.length, requests: totals.requests, statuses: totals.outcomes })}; stored: ${accepted.join(', ')}`);
  await t?.close();
});

describe.each(COMMANDS.map((cmd) => [cmd.route, cmd] as const))('hostile text in %s', (_route, cmd) => {
  it('is refused or stored verbatim through the API', async () => {
    await run(cmd, 'api');
  });
  if (!cmd.apiOnly) {
    it(`is refused or stored verbatim in a ${cmd.type} line of POST /imports`, async () => {
      await run(cmd, 'import');
    });
  }
});

describe('hostile text in POST /customers/:id/forget', () => {
  it('is refused or stored verbatim through the API (once the route exists)', async () => {
    const probe = await t.http().post(`/customers/${shared.profile}/forget`).send({});
    if (probe.status === 404 && /^Cannot POST/.test(String(probe.body?.message))) {
      console.warn('POST /customers/:id/forget does not exist yet: its injection cases were skipped');
      return;
    }
    await run(FORGET, 'api');
  });
});

describe('afterwards', () => {
  it('the export shows every accepted value verbatim, and the tables are intact', async () => {
    const exported = () =>
      t.http().get('/exports/events').buffer(true).parse((r, done) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (chunk: string) => (text += chunk));
        r.on('end', () => done(null, text));
      });
    // The export reads behind the commit fence, which any transaction running on the server (another test file's, a
    // sealer round's) holds back for a moment: the last events may take a few tries to show.
    const stored = await t.eventCount();
    let res = await exported();
    for (const deadline = Date.now() + 10_000; (res.body as string).split('\n').filter(Boolean).length < stored && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      res = await exported();
    }
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const events = (res.body as string).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Event);
    expect(events).toHaveLength(stored);
    const problems: string[] = [];
    for (const a of accepted) {
      const event = a.eventId ? events.find((e) => e.eventId === a.eventId) : events.find((e) => e.streamId === a.streamId);
      if (!event) problems.push(`${a.label}: not in the export`);
      else if (getPath(event.data, a.field) !== a.value) problems.push(`${a.label}: export reads ${show(getPath(event.data, a.field))}, sent ${show(a.value)}`);
    }
    expect(problems).toEqual([]);
    for (const customerId of Object.values(shared)) await t.http().get(`/customers/${customerId}`).expect(200);
  });
});
