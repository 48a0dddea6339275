import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, errorText, type Answer } from './api';

type Touchpoint = Answer<'/touchpoints'>['items'][number];

const FILTERS = ['kind', 'phase', 'channel'] as const;
type Filter = (typeof FILTERS)[number];

const agentZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const when = (at: string, timeZone: string | null) =>
  new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: timeZone ?? undefined }).format(new Date(at));

/** The end of the agent's day: today's and overdue touchpoints are the open ones due before it. */
const endOfToday = (): string => {
  const end = new Date();
  end.setHours(24, 0, 0, 0);
  return end.toISOString();
};

/** Risk notices first (an alert's touchpoints, urgent ones), then by due time. */
const order = (a: Touchpoint, b: Touchpoint) => Number(b.alertId !== null || b.urgent) - Number(a.alertId !== null || a.urgent) || a.dueAt.localeCompare(b.dueAt);

/** "42 min left", "3 h 5 min left", or "breached 2 h ago". */
const countdown = (dueAt: string, now: number): string => {
  const minutes = Math.round(Math.abs(Date.parse(dueAt) - now) / 60_000);
  const span = minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
  return Date.parse(dueAt) < now ? `breached ${span} ago` : `${span} left`;
};

const CLOCK_KINDS = ['complaint-acknowledgement', 'complaint-resolution'];

/**
 * The complaints' clocks: the 1-hour acknowledgement and the 24-hour resolution of every open complaint, whenever
 * due, counting down, red once breached. Read again with the queue (`loaded` changes).
 */
function ComplaintClocks({ loaded }: { loaded: Touchpoint[] }) {
  const [now, setNow] = useState(Date.now());
  const [clocks, setClocks] = useState<Touchpoint[]>([]);
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(tick);
  }, []);
  useEffect(() => {
    Promise.all(CLOCK_KINDS.map((kind) => api.get<{ items: Touchpoint[] }>(`/touchpoints?${new URLSearchParams({ status: 'open', kind, limit: '200' })}`))).then(
      (pages) => setClocks(pages.flatMap((page) => page.items).sort((a, b) => a.dueAt.localeCompare(b.dueAt))),
      () => setClocks([]),
    );
  }, [loaded]);
  if (clocks.length === 0) return null;
  return (
    <section aria-labelledby="clocks-title" className="clocks">
      <h2 id="clocks-title">Complaint clocks</h2>
      <ul>
        {clocks.map((t) => (
          <li key={t.touchpointId} className={Date.parse(t.dueAt) < now ? 'breached' : undefined}>
            <strong>{t.kind === 'complaint-acknowledgement' ? 'Acknowledge' : 'Resolve'}</strong> {t.complaintId} ({t.customerId}):{' '}
            <span role="timer">{countdown(t.dueAt, now)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function WorkQueue({ role }: { role: string }) {
  const [items, setItems] = useState<Touchpoint[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filters, setFilters] = useState<Record<Filter, string>>({ kind: '', phase: '', channel: '' });
  const [completing, setCompleting] = useState<string | null>(null);
  const mayComplete = ['agent', 'manager', 'admin'].includes(role);

  /** After a write, `minPosition` makes the engine answer once the queue includes it. */
  const load = useCallback((minPosition?: number) => {
    setError(null);
    const query = new URLSearchParams({ status: 'open', dueBefore: endOfToday(), limit: '500', ...(minPosition ? { minPosition: String(minPosition) } : {}) });
    api.get<{ items: Touchpoint[] }>(`/touchpoints?${query}`).then(
      (page) => setItems([...page.items].sort(order)),
      (caught: unknown) => setError(errorText(caught)),
    );
  }, []);
  useEffect(() => load(), [load]);

  const choices = useMemo(() => Object.fromEntries(FILTERS.map((f) => [f, [...new Set((items ?? []).map((t) => t[f]))].sort()])) as Record<Filter, string[]>, [items]);
  const shown = (items ?? []).filter((t) => FILTERS.every((f) => !filters[f] || t[f] === filters[f]));

  return (
    <section aria-labelledby="queue-title">
      <h1 id="queue-title">Work queue</h1>
      <p className="hint">
        Open touchpoints due today or overdue; times in your zone ({agentZone}) and the customer&apos;s.
      </p>
      <div className="filters">
        {FILTERS.map((f) => (
          <label key={f}>
            {f[0].toUpperCase() + f.slice(1)}
            <select value={filters[f]} onChange={(e) => setFilters({ ...filters, [f]: e.target.value })}>
              <option value="">any</option>
              {choices[f].map((value) => (
                <option key={value}>{value}</option>
              ))}
            </select>
          </label>
        ))}
      </div>
      {items && <ComplaintClocks loaded={items} />}
      {error && <p role="alert" className="error">{error}</p>}
      {!error && items === null && <p aria-busy="true">Loading…</p>}
      {items !== null && shown.length === 0 && <p>Nothing due today: the queue is empty.</p>}
      {shown.length > 0 && (
        <table>
          <caption className="visually-hidden">Touchpoints due today or overdue</caption>
          <thead>
            <tr>
              <th scope="col">Due (yours)</th>
              <th scope="col">Due (customer)</th>
              <th scope="col">Customer</th>
              <th scope="col">Kind</th>
              <th scope="col">Phase</th>
              <th scope="col">Channel</th>
              <th scope="col">Language</th>
              <th scope="col">Hints and reason</th>
              {mayComplete && <th scope="col">Done?</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((t) => (
              <tr key={t.touchpointId} className={t.alertId || t.urgent ? 'risk' : t.overdue ? 'overdue' : undefined}>
                <td>
                  {when(t.dueAt, agentZone)}
                  {t.overdue && <span className="badge">overdue</span>}
                </td>
                <td>{t.timeZone ? `${when(t.dueAt, t.timeZone)} (${t.timeZone})` : '—'}</td>
                <td>
                  <a href={`#customer/${encodeURIComponent(t.customerId)}`}>{t.customerId}</a>
                </td>
                <td>{t.kind}</td>
                <td>{t.phase}</td>
                <td>{t.channel}</td>
                <td>{t.language}</td>
                <td>
                  {t.contentHints.join(', ')}
                  {t.offerHints.length > 0 && <div className="reason">Offer: {t.offerHints[0]}</div>}
                  {t.reason && <div className="reason">{t.reason}</div>}
                </td>
                {mayComplete && (
                  <td>
                    {completing === t.touchpointId ? (
                      <Complete touchpoint={t} onDone={(position) => (setCompleting(null), load(position))} onCancel={() => setCompleting(null)} />
                    ) : (
                      <button type="button" onClick={() => setCompleting(t.touchpointId)} aria-label={`Complete ${t.kind} for ${t.customerId}`}>
                        Complete…
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Complete({ touchpoint, onDone, onCancel }: { touchpoint: Touchpoint; onDone: (position: number | undefined) => void; onCancel: () => void }) {
  const [outcome, setOutcome] = useState('done');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const answer = await api.post<{ position?: number }>(`/touchpoints/${encodeURIComponent(touchpoint.touchpointId)}/complete`, note.trim() ? { outcome, note: note.trim() } : { outcome });
      onDone(answer.position);
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  return (
    <form className="complete" onSubmit={submit}>
      <label>
        Outcome
        <select value={outcome} onChange={(e) => setOutcome(e.target.value)}>
          <option value="done">done</option>
          <option value="no-answer">no answer</option>
          <option value="skipped">skipped</option>
        </select>
      </label>
      <label>
        Note
        <input value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
      </label>
      <button type="submit">Save</button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      {error && <p role="alert" className="error">{error}</p>}
    </form>
  );
}
