import { customerStreamId, decide, evolve, initialState, type ForgetCustomer } from '../../domain/src';
import { WrongExpectedVersion, fold, type CommandContext, type CommandResult, type EventStore } from '../../event-store/src';
import type { CustomerKeys } from './customer-keys';

/**
 * Forgets a customer: decide, destroy the data key, append CustomerForgotten at the version read.
 *
 * The generic handleCommand has no step between decide and append, and the key must go exactly there:
 * - after decide, so a request that is refused (an empty reason 400, an unknown customer 404, one already forgotten
 *   409) destroys nothing and writes nothing;
 * - before the append, so no reader ever sees CustomerForgotten while the personal data still decrypts.
 *
 * On a version conflict (another command appended meanwhile) the stream is read and decided again; the key is already
 * gone by then, which errs on the customer's side: if the retry is refused, or the append keeps failing, the personal
 * data reads as erased though CustomerForgotten is not (yet) in the log. Sending the request again completes it.
 */
export async function forgetCustomer(
  store: EventStore,
  keys: CustomerKeys,
  command: ForgetCustomer,
  context: Omit<CommandContext, 'expectedVersion'>,
): Promise<CommandResult> {
  const streamId = customerStreamId(command.customerId);
  const maxRetries = context.maxRetries ?? 10;
  for (let attempt = 0; ; attempt++) {
    const history = await store.readStream(streamId);
    const version = history.length ? history[history.length - 1].streamPosition : 0;
    const events = decide(command, fold({ evolve, initialState }, history));
    await keys.forget(command.customerId);
    try {
      const result = await store.append(
        streamId,
        // The schema-aware store stamps the current version of the type (event-schemas.ts).
        events.map((event) => ({ eventId: context.newId(), type: event.type, data: event.data as Record<string, unknown>, occurredAt: event.occurredAt, metadata: { ...context.metadata, schemaVersion: 1 } })),
        { expectedVersion: version },
      );
      return { version: result.version, position: result.position, events: events.length };
    } catch (error) {
      if (error instanceof WrongExpectedVersion && attempt < maxRetries) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
        continue;
      }
      throw error;
    }
  }
}
