import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { customerStreamId, decide, DomainError, evolve, initialState, parseCustomerCommand, type CustomerCommand, type DecideContext } from '../../libs/domain/src';
import { handleCommand } from '../../libs/event-store/src';
import { ratedCurrencies } from '../../libs/segments/src';
import { loadConfig, openRuntime, type Runtime } from '../../apps/engine/src';
import { customer, request } from '../support/command-arbitraries';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../support/test-database';
import { evaluateAndRecord } from '../../projections/segments/segment-recording';
import { listSegments } from '../../projections/segments/segments.queries';

/*
 * Issue 15: no accepted input may stop a read model. Generated customer histories, every value anywhere in the
 * accepted range with the edges weighted in, go through the real command path (the parser, then load-decide-append
 * on the engine's store, with the rated currencies as the API passes them); every projection must then apply them:
 * none stops, each reaches the head of the log, none records an error. One database for all runs, so each run's
 * events also meet the read models the earlier runs left. A failure prints fast-check's seed and path; it does not
 * shrink, since a stopped projection would fail every smaller case too; pass that seed and path to fc.assert to
 * replay it. 80 runs take about 30 s here.
 */

let database: TestDatabase;
let runtime: Runtime;
let currencies: string[];
beforeAll(async () => {
  database = await createTestDatabase();
  runtime = await openRuntime(loadConfig({ DATABASE_URL: database.url }), () => undefined);
  currencies = [...ratedCurrencies(runtime.segments)];
});
afterAll(async () => {
  await runtime.close();
  await database.drop();
});

type History = ReturnType<typeof customer> extends fc.Arbitrary<infer H> ? H : never;

const decider = { decide, evolve, initialState };
const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'property-test', role: 'system' }, source: 'api' };
let customers = 0;
const outcome = { accepted: 0, refusedByState: 0 };

/** Parses and decides each step as the API does; refusals that need the state (409, 404, 422) are fine, a parse refusal is a generator bug. */
async function send(history: History): Promise<void> {
  const customerId = `${history.long ? 'p'.repeat(50) : 'p'}-${customers++}`;
  const made = { bookings: [] as string[], complaints: [] as string[] };
  const context: DecideContext = { currencies: new Set(currencies) };
  for (const [i, step] of [history.registration, ...history.steps].entries()) {
    const { body, ids } = request(history, step, i, made);
    const parsed = parseCustomerCommand({ type: step.type, customerId, occurredAt: step.occurredAt, body, ids });
    if (!parsed.ok) throw new Error(`the generator made a command the parser refuses: ${parsed.error.message} in ${JSON.stringify({ type: step.type, body, ids })}`);
    try {
      await handleCommand(runtime.store, customerStreamId(customerId), decider, parsed.command as CustomerCommand, { metadata, newId: randomUUID, loadContext: async () => context });
      outcome.accepted++;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      outcome.refusedByState++;
    }
  }
}

const head = async (): Promise<number> => Number((await runtime.readModels.query('SELECT coalesce(max(global_position), 0) AS head FROM event_store.events')).rows[0].head);

it('every projection applies every accepted command, anywhere in the accepted range', async () => {
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.array(customer(currencies), { minLength: 1, maxLength: 4 }), async (histories) => {
      for (const history of histories) await send(history);
      await allEventsVisible(runtime.readModels);
      const end = await head();
      for (const { name } of await runtime.projector.status()) await runtime.projector.catchUp(name);
      for (const status of await runtime.projector.status()) expect({ name: status.name, position: status.position, lastError: status.lastError }).toEqual({ name: status.name, position: end, lastError: null });
    }),
    { numRuns: 80, endOnFailure: true },
  );
  // Not vacuous: most generated commands were accepted and written.
  expect(outcome.accepted).toBeGreaterThan(outcome.refusedByState);
  expect(outcome.accepted).toBeGreaterThan(100);

  // The segment evaluation takes the generated facts too, as of the last accepted instant, and records no failure.
  const summary = await evaluateAndRecord(runtime.readModels, runtime.store, runtime.segments, { asOf: '2200-12-31T23:59:59.999Z', trigger: 'on-demand' });
  expect(summary).toMatchObject({ recorded: true });
  expect(await listSegments(runtime.readModels, runtime.segments)).not.toHaveProperty('failure');

  // Every revenue sum the overview answers has the database's digits.
  const { rows } = await runtime.readModels.query<{ value: string }>('SELECT value::text AS value FROM read_models.customer_overview, jsonb_each(revenue)');
  expect(rows.length).toBeGreaterThan(0);
  for (const { value } of rows) expect(String(Number(value))).toBe(value);
  console.log(`property test: ${outcome.accepted} commands accepted, ${outcome.refusedByState} refused by state rules, ${Date.now() - started} ms`);
}, 180_000);
