import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, errorText, type Answer } from './api';
import { CustomerStory } from './CustomerStory';
import { FindCustomer } from './FindCustomer';
import { Vip } from './Vip';

type Overview = Answer<'/customers/{id}'>;
type LoggedEvent = Answer<'/customers/{id}/events'>['events'][number];
type ScheduledTouchpoint = Answer<'/customers/{id}/touchpoints'>['touchpoints'][number];
type Segments = Answer<'/customers/{id}/segments'>;

const PAGE = 20;
const at = (iso: string) => new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
const money = (revenue: Record<string, number>) =>
  Object.entries(revenue)
    .map(([currency, minor]) => new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(minor / 100))
    .join(', ') || '—';

/** One customer's story: the profile (as of any past instant), the timeline of every event, newest first, and the touchpoint schedule. */
export function Customer({ customerId, role, onOpen }: { customerId: string | null; role: string; onOpen: (id: string) => void }) {
  const [wanted, setWanted] = useState(customerId ?? '');
  const [asOf, setAsOf] = useState('');
  const [overview, setOverview] = useState<Overview | null>(null);
  const [events, setEvents] = useState<LoggedEvent[]>([]);
  const [olderFrom, setOlderFrom] = useState<number | null>(null);
  const [touchpoints, setTouchpoints] = useState<ScheduledTouchpoint[]>([]);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [segments, setSegments] = useState<Segments | null>(null);
  /** After a write: the position the reads wait for (read-your-writes). */
  const [written, setWritten] = useState<number | null>(null);

  const timelineBefore = useCallback(
    async (version: number, replace: boolean) => {
      const from = Math.max(1, version - PAGE + 1);
      const page = await api.get<{ events: LoggedEvent[] }>(`/customers/${encodeURIComponent(customerId!)}/events?fromVersion=${from}&limit=${version - from + 1}`);
      setEvents((shown) => [...(replace ? [] : shown), ...[...page.events].reverse()]);
      setOlderFrom(from > 1 ? from - 1 : null);
    },
    [customerId],
  );

  useEffect(() => {
    if (!customerId) return;
    setProblems({});
    setOverview(null);
    const id = encodeURIComponent(customerId);
    const instant = asOf ? `?asOf=${encodeURIComponent(new Date(asOf).toISOString())}` : '';
    const waitFor = written ? `${instant ? '&' : '?'}minPosition=${written}` : '';
    api.get<Segments>(`/customers/${id}/segments`).then(setSegments, (error: unknown) => setProblems((p) => ({ ...p, segments: errorText(error) })));
    api.get<Overview>(`/customers/${id}${instant}${waitFor}`).then(
      (found) => {
        setOverview(found);
        // The log itself is not for analysts (ACCESS.readCustomerLog): they see the read models, masked.
        if (role !== 'analyst') timelineBefore(found.version, true).catch((error: unknown) => setProblems((p) => ({ ...p, timeline: errorText(error) })));
      },
      (error: unknown) => setProblems((p) => ({ ...p, overview: errorText(error) })),
    );
    api.get<{ touchpoints: ScheduledTouchpoint[] }>(`/customers/${id}/touchpoints${instant}`).then(
      (schedule) => setTouchpoints(schedule.touchpoints),
      (error: unknown) => setProblems((p) => ({ ...p, touchpoints: errorText(error) })),
    );
  }, [customerId, asOf, timelineBefore, written, role]);

  const open = (event: FormEvent) => {
    event.preventDefault();
    if (wanted.trim()) onOpen(wanted.trim());
  };

  return (
    <section aria-labelledby="customer-title">
      <h1 id="customer-title">Customer</h1>
      <form className="filters" onSubmit={open} aria-label="Open a customer by id">
        <label>
          Customer id
          <input value={wanted} onChange={(e) => setWanted(e.target.value)} maxLength={100} />
        </label>
        <button type="submit">Open</button>
        <label>
          As of
          <input type="datetime-local" value={asOf} onChange={(e) => setAsOf(e.target.value)} />
        </label>
      </form>
      <FindCustomer />
      {!customerId && <p>Enter a customer id, or find one by name, e-mail or phone.</p>}
      {problems.overview && <p role="alert" className="error">{problems.overview}</p>}
      {customerId && !overview && !problems.overview && <p aria-busy="true">Loading…</p>}
      {overview && (
        <>
          <h2>
            {overview.name} {overview.vip && <span className="badge vip">VIP</span>} {overview.erased && <span className="badge">erased</span>}
          </h2>
          <dl className="profile">
            <dt>Id</dt>
            <dd>{overview.customerId}</dd>
            <dt>E-mail</dt>
            <dd>{overview.email ?? '—'}</dd>
            <dt>Phone</dt>
            <dd>{overview.phone ?? '—'}</dd>
            <dt>Time zone, language</dt>
            <dd>
              {overview.timeZone}, {overview.language}
            </dd>
            <dt>Channel, consent</dt>
            <dd>
              {overview.preferredChannel}, {overview.marketingConsent ? 'marketing allowed' : 'no marketing'}
            </dd>
            <dt>Tags</dt>
            <dd>{overview.tags.join(', ') || '—'}</dd>
            <dt>Registered</dt>
            <dd>{at(overview.registeredAt)}</dd>
            <dt>Bookings, trips, cancellations</dt>
            <dd>
              {overview.bookings}, {overview.trips}, {overview.cancellations}
            </dd>
            <dt>Complaints</dt>
            <dd>
              {overview.complaints.open} open of {overview.complaints.total}
            </dd>
            <dt>Revenue</dt>
            <dd>{money(overview.revenue)}</dd>
            <dt>Last NPS</dt>
            <dd>{overview.lastNps ?? '—'}</dd>
          </dl>
          {['manager', 'admin'].includes(role) && !overview.erased && <Vip customerId={overview.customerId} vip={overview.vip} onWritten={setWritten} />}
          <h2>Segments</h2>
          {problems.segments && <p role="alert" className="error">{problems.segments}</p>}
          {segments && (
            <>
              <ul className="segments" aria-label="Current segments">
                {segments.current.map((m) => (
                  <li key={m.segment} title={`since ${at(m.since)}: ${m.reason}`}>
                    {m.segment}
                  </li>
                ))}
                {segments.current.length === 0 && <li>none yet (no evaluation has placed the customer)</li>}
              </ul>
              {segments.discount && (
                <p>
                  Loyalty discount {segments.discount.percent} %
                  {segments.discount.nextPercent !== null &&
                    segments.discount.spendToNext !== null &&
                    `; ${new Intl.NumberFormat(undefined, { style: 'currency', currency: segments.discount.currency }).format(segments.discount.spendToNext / 100)} more to ${segments.discount.nextPercent} %`}
                </p>
              )}
            </>
          )}
          <CustomerStory customerId={overview.customerId} role={role} />
          {role !== 'analyst' && <h2>Timeline</h2>}
          {problems.timeline && <p role="alert" className="error">{problems.timeline}</p>}
          {events.length > 0 && (
            <table>
              <caption className="visually-hidden">Every event of the customer, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When</th>
                  <th scope="col">Event</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Correlation</th>
                </tr>
              </thead>
              <tbody>
                {events.map((e) => (
                  <tr key={e.eventId}>
                    <td>{e.streamPosition}</td>
                    <td>{at(e.occurredAt)}</td>
                    <td>{e.type}</td>
                    <td>
                      {e.metadata.actor.id} <span className="role">{e.metadata.actor.role}</span>
                    </td>
                    <td className="mono">{e.metadata.correlationId}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {olderFrom !== null && (
            <button type="button" onClick={() => timelineBefore(olderFrom, false).catch((error: unknown) => setProblems((p) => ({ ...p, timeline: errorText(error) })))}>
              Older events
            </button>
          )}
          <h2>Touchpoint schedule</h2>
          {problems.touchpoints && <p role="alert" className="error">{problems.touchpoints}</p>}
          {touchpoints.length === 0 && !problems.touchpoints && <p>No touchpoints.</p>}
          {touchpoints.length > 0 && (
            <table>
              <caption className="visually-hidden">The customer&apos;s touchpoints by due time</caption>
              <thead>
                <tr>
                  <th scope="col">Due</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Phase</th>
                  <th scope="col">Status</th>
                  <th scope="col">By, outcome</th>
                </tr>
              </thead>
              <tbody>
                {touchpoints.map((t) => (
                  <tr key={t.touchpointId}>
                    <td>{at(t.dueAt)}</td>
                    <td>{t.kind}</td>
                    <td>{t.phase}</td>
                    <td>{t.status}</td>
                    <td>{t.completedBy ? `${t.completedBy}, ${t.outcome}` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

