import { useState } from 'react';
import { api, errorText, type Answer } from './api';
import { LineChart } from './Charts';
import { PagedTable } from './PagedTable';
import { Status, useApi } from './useApi';

type Listing = Answer<'/segments'>;
type Definition = Listing['segments'][number];
type Sizes = Answer<'/segments/sizes'>;
type Member = Answer<'/segments/{segment}/members'>['items'][number];
type Changes = Answer<'/segments/changes'>;

const LATEST_CHANGES = 20;
const day = (iso: string) => new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(new Date(iso));
const money = (minor: number, currency: string | null) =>
  currency ? new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(minor / 100) : String(minor);

/** The 2×2 of value (rows) and loyalty (columns): each quadrant's segment key. */
const MATRIX = [
  ['high value', 'value-loyalty:keep-and-reward', 'value-loyalty:grow-loyalty'],
  ['low value', 'value-loyalty:warm-up', 'value-loyalty:sample-and-watch'],
] as const;

function ValueLoyalty({ segments }: { segments: Definition[] }) {
  const of = (key: string) => segments.find((s) => s.segment === key);
  return (
    <table className="matrix">
      <caption>Value × loyalty: members and treatment per quadrant</caption>
      <thead>
        <tr>
          <td />
          <th scope="col">High loyalty</th>
          <th scope="col">Low loyalty</th>
        </tr>
      </thead>
      <tbody>
        {MATRIX.map(([row, ...keys]) => (
          <tr key={row}>
            <th scope="row">{row}</th>
            {keys.map((key) => (
              <td key={key}>
                <strong>{(of(key)?.members ?? 0).toLocaleString()}</strong> {key.slice('value-loyalty:'.length)}
                <div className="reason">{of(key)?.description}</div>
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Managers and analysts: every family with member counts and sizes over time, the value × loyalty matrix, members with CSV export, the latest changes. */
export function Segments() {
  const listing = useApi<Listing>('/segments');
  const [family, setFamily] = useState('rfm');
  const [segment, setSegment] = useState<string | null>(null);
  const [sort, setSort] = useState('revenue');
  const [order, setOrder] = useState('desc');
  const [exportError, setExportError] = useState<string | null>(null);
  const sizes = useApi<Sizes>(`/segments/sizes?family=${encodeURIComponent(family)}`);
  const after = sizes.data ? Math.max(0, sizes.data.lastChangePosition - LATEST_CHANGES) : null;
  const changes = useApi<Changes>(after === null ? null : `/segments/changes?after=${after}&limit=${LATEST_CHANGES}`);
  const all = listing.data?.segments ?? [];
  const families = [...new Set(all.map((s) => s.segment.split(':')[0]))];
  const inFamily = all.filter((s) => s.segment.startsWith(`${family}:`));
  const chosen = segment ?? inFamily[0]?.segment ?? null;
  const members = chosen && `/segments/${encodeURIComponent(chosen)}/members?sort=${sort}&order=${order}&limit=50`;
  const exportCsv = () => {
    setExportError(null);
    api.download(`/segments/${encodeURIComponent(chosen!)}/members`, `${chosen!.replace(/[^A-Za-z0-9-]+/g, '_')}.csv`).catch((error: unknown) => setExportError(errorText(error)));
  };
  return (
    <section aria-labelledby="segments-title">
      <h1 id="segments-title">Segments</h1>
      <Status loaded={listing} empty="No segments." />
      {listing.data && (
        <p className="hint">
          {listing.data.evaluation ? `Latest evaluation ${listing.data.evaluation.evaluationId}, as of ${day(listing.data.evaluation.asOf)}.` : 'No evaluation yet: members appear after the first one.'}
        </p>
      )}
      <div className="filters">
        <label>
          Family
          <select value={family} onChange={(e) => (setFamily(e.target.value), setSegment(null))}>
            {families.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </label>
      </div>
      <div className="columns">
        <table>
          <caption>Segments of {family} with their members now</caption>
          <thead>
            <tr>
              <th scope="col">Segment</th>
              <th scope="col">Members</th>
              <th scope="col">Rule</th>
            </tr>
          </thead>
          <tbody>
            {inFamily.map((s) => (
              <tr key={s.segment}>
                <td>{s.name}</td>
                <td>{s.members.toLocaleString()}</td>
                <td className="reason">{s.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div>
          <h2>Sizes over time</h2>
          <Status loaded={sizes} empty="No evaluation has changed this family yet." isEmpty={sizes.data?.evaluations.length === 0} />
          {sizes.data && sizes.data.evaluations.length > 0 && (
            <LineChart
              label={`Members of each ${family} segment after each of the last ${sizes.data.evaluations.length} evaluations`}
              labels={sizes.data.evaluations.map((e) => day(e.asOf))}
              series={sizes.data.series.map((s) => ({ name: s.segment.slice(family.length + 1), values: s.sizes }))}
            />
          )}
        </div>
      </div>
      {listing.data && <ValueLoyalty segments={all} />}
      <h2>Members</h2>
      <div className="filters">
        <label>
          Segment
          <select value={chosen ?? ''} onChange={(e) => setSegment(e.target.value)}>
            {inFamily.map((s) => (
              <option key={s.segment} value={s.segment}>
                {s.segment}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sort by
          <select value={sort} onChange={(e) => setSort(e.target.value)}>
            <option value="revenue">revenue</option>
            <option value="since">member since</option>
            <option value="customerId">customer id</option>
          </select>
        </label>
        <label>
          Order
          <select value={order} onChange={(e) => setOrder(e.target.value)}>
            <option value="desc">descending</option>
            <option value="asc">ascending</option>
          </select>
        </label>
        <button type="button" onClick={exportCsv} disabled={!chosen}>
          Export CSV
        </button>
      </div>
      {exportError && <p role="alert" className="error">{exportError}</p>}
      {members && (
        <PagedTable<Member>
          caption={`Members of ${chosen}`}
          path={members}
          rowKey={(m) => m.customerId}
          empty="No members."
          columns={[
            { header: 'Customer', cell: (m) => <a href={`#customer/${encodeURIComponent(m.customerId)}`}>{m.customerId}</a> },
            { header: 'Member since', cell: (m) => day(m.since) },
            { header: 'Revenue', cell: (m) => money(m.revenue, m.currency) },
            { header: 'Why', cell: (m) => <span className="reason">{m.reason}</span> },
          ]}
        />
      )}
      <h2>Latest changes</h2>
      <Status loaded={changes} empty="No changes yet." isEmpty={changes.data?.changes.length === 0} />
      {changes.data && changes.data.changes.length > 0 && (
        <ul className="changes" aria-label="Latest segment changes, newest first">
          {[...changes.data.changes].reverse().map((c) => (
            <li key={c.position}>
              {day(c.at)}: <a href={`#customer/${encodeURIComponent(c.customerId)}`}>{c.customerId}</a> {c.change} <strong>{c.segment}</strong>{' '}
              <span className="reason">{c.reason}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
