import type { Answer } from './api';
import { NextTrips } from './NextTrips';
import { Status, useApi } from './useApi';

type Money = { value: number; currency: string };
type State = Extract<Answer<'/customers/{id}/state'>['state'], { bookings: unknown }>;
type Risk = Answer<'/customers/{id}/churn-risk'>;

const day = (iso: string) => new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(new Date(iso));
const money = ({ value, currency }: Money) => new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(value / 100);
const place = ({ city, country }: State['bookings'][string]['destination']) => `${city}, ${country}`;

/** What the customer's own log says (agents, managers, auditors): bookings and trips, complaints, surveys with NPS. */
function Story({ customerId }: { customerId: string }) {
  const answer = useApi<{ state: Partial<State> }>(`/customers/${encodeURIComponent(customerId)}/state`);
  const state = { ...answer, data: answer.data?.state ?? null };
  const bookings = Object.values(state.data?.bookings ?? {}).sort((a, b) => b.departureDate.localeCompare(a.departureDate));
  const complaints = Object.values(state.data?.complaints ?? {}).sort((a, b) => b.filedAt.localeCompare(a.filedAt));
  const surveys = Object.values(state.data?.surveys ?? {}).sort((a, b) => b.answeredAt.localeCompare(a.answeredAt));
  return (
    <>
      <h2>Bookings and trips</h2>
      <Status loaded={state} empty="No bookings." isEmpty={state.data !== null && bookings.length === 0} />
      {bookings.length > 0 && (
        <table>
          <caption className="visually-hidden">Bookings, latest departure first</caption>
          <thead>
            <tr>
              <th scope="col">Booking</th>
              <th scope="col">Destination</th>
              <th scope="col">Dates</th>
              <th scope="col">Product</th>
              <th scope="col">Amount</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {bookings.map((b) => (
              <tr key={b.bookingId}>
                <td>{b.bookingId}</td>
                <td>{place(b.destination)}</td>
                <td>
                  {b.departureDate} to {b.returnDate}
                </td>
                <td>{b.productType}</td>
                <td>{money(b.amount)}</td>
                <td>{b.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Complaints and surveys</h2>
      {state.data && (
        <ul className="changes" aria-label="Complaints and surveys, newest first">
          {complaints.map((c) => (
            <li key={c.complaintId}>
              {day(c.filedAt)}: complaint {c.complaintId}, {c.category} ({c.severity}), <strong>{c.status}</strong>
              {c.resolvedAt && `, resolved ${day(c.resolvedAt)}`}
            </li>
          ))}
          {surveys.map((s) => (
            <li key={s.surveyId}>
              {day(s.answeredAt)}: survey {s.surveyId}
              {s.bookingId && ` on ${s.bookingId}`}, NPS answer <strong>{s.nps}</strong>
            </li>
          ))}
          {complaints.length + surveys.length === 0 && <li>No complaints or surveys.</li>}
        </ul>
      )}
    </>
  );
}

/** Churn risk with its reasons and points, and CLV (every role that may read the customer). */
function RiskAndValue({ customerId }: { customerId: string }) {
  const risk = useApi<Risk>(`/customers/${encodeURIComponent(customerId)}/churn-risk`);
  const score = risk.data;
  return (
    <>
      <h2>Churn risk and value</h2>
      {risk.missing ? <p className="hint">{risk.error}</p> : <Status loaded={risk} empty="" />}
      {score && 'note' in score && <p className="hint">Not scored: {score.note}.</p>}
      {score && 'risk' in score && (
        <>
          <p>
            Risk <strong>{score.risk}</strong> ({score.band}), P(alive) {Math.round(score.pAlive * 100)} %, expected trips {score.expectedTrips.toFixed(2)}, CLV{' '}
            <strong>{money({ value: Math.round(score.clv * 100), currency: score.currency })}</strong>
          </p>
          <ul aria-label="Why: the reasons and their points">
            {score.reasons.map((r) => (
              <li key={r.text}>
                {r.text} (+{r.points})
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

/** The rest of the customer's 360: what the role may read of it. */
export function CustomerStory({ customerId, role }: { customerId: string; role: string }) {
  return (
    <>
      <RiskAndValue customerId={customerId} />
      <NextTrips customerId={customerId} />
      {role === 'analyst' ? <p className="hint">Bookings, complaints and the timeline are for agents, managers and auditors.</p> : <Story customerId={customerId} />}
    </>
  );
}
