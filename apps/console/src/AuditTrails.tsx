import { useState, type FormEvent } from 'react';
import type { Answer } from './api';
import { PagedTable, type Column } from './PagedTable';

type TrailEntry = Answer<'/audit/customers/{id}'>['items'][number];
type AccessRecord = Answer<'/audit/access'>['items'][number];

const at = (iso: string) => new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(iso));
const OUTCOMES = ['read', 'unauthenticated', 'forbidden', 'rate-limited'];

/** A link that shows a correlation's trail on this page. */
const correlationLink = (id: string | null, follow: (id: string) => void) =>
  id ? (
    <button type="button" className="link mono" onClick={() => follow(id)}>
      {id}
    </button>
  ) : (
    '—'
  );

const trailColumns = (follow: (id: string) => void): Column<TrailEntry>[] => [
  { header: 'Position', cell: (e) => e.globalPosition },
  { header: 'Recorded', cell: (e) => at(e.recordedAt) },
  { header: 'Stream', cell: (e) => `${e.streamId} #${e.streamPosition}` },
  { header: 'Event', cell: (e) => e.type },
  { header: 'Actor', cell: (e) => (e.actorId ? `${e.actorId} (${e.actorRole})` : '—') },
  { header: 'Source', cell: (e) => e.source ?? '—' },
  { header: 'Correlation', cell: (e) => correlationLink(e.correlationId, follow) },
];

/** One text field and a button: what is submitted becomes the shown value. */
function Ask({ label, value, onAsk }: { label: string; value: string; onAsk: (value: string) => void }) {
  const [text, setText] = useState(value);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onAsk(text.trim());
  };
  return (
    <form className="filters" onSubmit={submit} aria-label={`Trail by ${label.toLowerCase()}`}>
      <label>
        {label}
        <input value={text} onChange={(e) => setText(e.target.value)} maxLength={128} />
      </label>
      <button type="submit">Show</button>
    </form>
  );
}

/** Auditors: a customer's trail, a correlation's trail (what one request caused), and the access log with filters. */
export function AuditTrails() {
  const [customer, setCustomer] = useState('');
  const [correlation, setCorrelation] = useState('');
  const [filters, setFilters] = useState({ customerId: '', actorId: '', outcome: '', from: '', to: '' });
  const access = new URLSearchParams({ limit: '50' });
  for (const [key, value] of Object.entries(filters)) if (value) access.set(key, key === 'from' || key === 'to' ? new Date(value).toISOString() : value);
  const follow = (id: string) => {
    setCorrelation(id);
    document.getElementById('correlation-trail')?.scrollIntoView();
  };
  const filter = (key: keyof typeof filters) => ({ value: filters[key], onChange: (e: { target: { value: string } }) => setFilters({ ...filters, [key]: e.target.value }) });
  return (
    <>
      <h2>Customer trail</h2>
      <Ask label="Customer id" value={customer} onAsk={setCustomer} />
      {customer && (
        <PagedTable<TrailEntry>
          caption={`Every event of ${customer}`}
          path={`/audit/customers/${encodeURIComponent(customer)}?limit=50`}
          rowKey={(e) => String(e.globalPosition)}
          empty="No events: the id is unknown."
          columns={trailColumns(follow)}
        />
      )}
      <h2 id="correlation-trail">Correlation trail</h2>
      <Ask key={correlation} label="Correlation id" value={correlation} onAsk={setCorrelation} />
      {correlation && (
        <PagedTable<TrailEntry>
          caption={`Everything correlation ${correlation} caused`}
          path={`/audit/correlations/${encodeURIComponent(correlation)}?limit=50`}
          rowKey={(e) => String(e.globalPosition)}
          empty="Nothing was written under this correlation."
          columns={trailColumns(follow)}
        />
      )}
      <h2>Access log</h2>
      <div className="filters" role="group" aria-label="Access log filters">
        <label>
          Customer
          <input {...filter('customerId')} maxLength={128} />
        </label>
        <label>
          Actor
          <input {...filter('actorId')} maxLength={128} />
        </label>
        <label>
          Outcome
          <select {...filter('outcome')}>
            <option value="">any</option>
            {OUTCOMES.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" {...filter('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" {...filter('to')} />
        </label>
      </div>
      <PagedTable<AccessRecord>
        caption="Who read whose personal data, and every refused request, newest first"
        path={`/audit/access?${access}`}
        rowKey={(r) => String(r.id)}
        empty="No access matches these filters."
        columns={[
          { header: 'When', cell: (r) => at(r.at) },
          { header: 'Actor', cell: (r) => (r.actorId ? `${r.actorId} (${r.actorRole})` : 'unknown') },
          { header: 'Endpoint', cell: (r) => <span className="mono">{r.endpoint}</span> },
          { header: 'Customer', cell: (r) => r.customerId ?? '—' },
          { header: 'Outcome', cell: (r) => `${r.outcome} (${r.status})` },
          { header: 'Correlation', cell: (r) => correlationLink(r.correlationId, follow) },
        ]}
      />
    </>
  );
}
