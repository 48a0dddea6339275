import type { Answer } from './api';
import { Status, useApi } from './useApi';

type Offers = Answer<'/customers/{id}/offers'>;

/** The customer's next-trip offers with their reasons (every role that may read the customer; GET /customers/:id/offers). */
export function NextTrips({ customerId }: { customerId: string }) {
  const answer = useApi<Offers>(`/customers/${encodeURIComponent(customerId)}/offers`);
  const offers = answer.data?.offers ?? [];
  return (
    <>
      <h2>Next-trip offers</h2>
      <Status loaded={answer} empty={answer.data?.erased ? 'Forgotten: no offers.' : 'No offers yet.'} isEmpty={answer.data !== null && offers.length === 0} />
      {offers.length > 0 && (
        <ol aria-label="Next-trip offers, best first, each with why">
          {offers.map((o) => (
            <li key={`${o.destination.country}/${o.destination.city}`}>
              <strong>
                {o.destination.city ? `${o.destination.city}, ` : ''}
                {o.destination.country}
              </strong>{' '}
              ({o.productType}
              {o.basis === 'popular' ? ', popular' : ''}): {o.reasons.join('; ')}
            </li>
          ))}
        </ol>
      )}
      {answer.data && <p className="hint">Learnt from {answer.data.modelTrips.toLocaleString()} trips before {answer.data.modelDay}.</p>}
    </>
  );
}
