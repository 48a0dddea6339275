import type { Answer } from './api';
import { Status, useApi, type Loaded } from './useApi';

/* What feedback points at (issue 19): NPS by sales channel and agent with its 95 % interval, complaints per 100 trips
 * by category × department × phase, the 1-hour and 24-hour deadlines per department, and the customers whose NPS fell. */

type NpsGroups = Answer<'/analytics/feedback/nps'>;
type Rates = Answer<'/analytics/feedback/complaint-rates'>;
type Deadlines = Answer<'/analytics/feedback/complaint-deadlines'>;
type Drops = Answer<'/analytics/feedback/nps-drops'>;

const points = (value: number | null) => (value === null ? '—' : value.toFixed(1));
const minutes = (value: number | null) => (value === null ? '—' : value < 120 ? `${value.toFixed(0)} min` : `${(value / 60).toFixed(1)} h`);
/** A label the read model holds as null: not recorded, or no booking to take it from. */
const named = (value: string | null, none: string) => value ?? none;
const CELLS = 15;

function NpsTable({ caption, column, none, loaded }: { caption: string; column: string; none: string; loaded: Loaded<NpsGroups> }) {
  const groups = loaded.data?.groups ?? [];
  return (
    <table className="narrow">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{column}</th>
          <th scope="col">Answers</th>
          <th scope="col">NPS</th>
          <th scope="col">95 % interval</th>
        </tr>
      </thead>
      <tbody>
        {groups.map((g) => (
          <tr key={g.group ?? ''}>
            <td>{named(g.group, none)}</td>
            <td>{g.answers.toLocaleString()}</td>
            <td>{points(g.nps)}</td>
            <td>
              {points(g.low)} to {points(g.high)}
            </td>
          </tr>
        ))}
        {loaded.data && groups.length === 0 && (
          <tr>
            <td colSpan={4}>No answers in this range.</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

export function FeedbackCauses({ query }: { query: string }) {
  const byChannel = useApi<NpsGroups>(`/analytics/feedback/nps?by=channel&${query}`);
  const byAgent = useApi<NpsGroups>(`/analytics/feedback/nps?by=agent&${query}`);
  const rates = useApi<Rates>(`/analytics/feedback/complaint-rates?${query}`);
  const deadlines = useApi<Deadlines>(`/analytics/feedback/complaint-deadlines?by=department&${query}`);
  const drops = useApi<Drops>(`/analytics/feedback/nps-drops?limit=10&${query}`);
  return (
    <>
      <h2>What it points at</h2>
      <p className="hint">The interval is the 95 % normal approximation: with few answers it claims more than it knows.</p>
      <Status loaded={byChannel} empty="" />
      <div className="columns">
        <NpsTable caption="NPS by sales channel" column="Channel" none="no booking named" loaded={byChannel} />
        <NpsTable caption="NPS by agent" column="Agent" none="no agent" loaded={byAgent} />
      </div>
      <Status loaded={rates} empty="" />
      {rates.data && (
        <table>
          <caption>
            Complaints per 100 trips by category, department and phase: {rates.data.complaints.toLocaleString()} complaints, {rates.data.trips.toLocaleString()} trips departed
          </caption>
          <thead>
            <tr>
              <th scope="col">Category</th>
              <th scope="col">Department</th>
              <th scope="col">Phase</th>
              <th scope="col">Complaints</th>
              <th scope="col">Per 100 trips</th>
            </tr>
          </thead>
          <tbody>
            {rates.data.cells.slice(0, CELLS).map((c) => (
              <tr key={`${c.category}|${c.department ?? ''}|${c.phase ?? ''}`}>
                <td>{c.category}</td>
                <td>{named(c.department, 'not recorded')}</td>
                <td>{named(c.phase, 'not recorded')}</td>
                <td>{c.complaints.toLocaleString()}</td>
                <td>{c.per100Trips === null ? '—' : c.per100Trips.toFixed(2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Status loaded={deadlines} empty="" />
      {deadlines.data && (
        <table>
          <caption>Deadlines by department: acknowledge within 1 hour, resolve within 24 hours</caption>
          <thead>
            <tr>
              <th scope="col">Department</th>
              <th scope="col">Complaints</th>
              <th scope="col">Median to acknowledge</th>
              <th scope="col">Late</th>
              <th scope="col">Median to resolve</th>
              <th scope="col">Late</th>
            </tr>
          </thead>
          <tbody>
            {[...deadlines.data.groups, { ...deadlines.data.overall, group: 'all departments' }].map((g) => (
              <tr key={g.group ?? ''}>
                <td>{named(g.group, 'not recorded')}</td>
                <td>{g.complaints.toLocaleString()}</td>
                <td>{minutes(g.acknowledgeMedianMinutes)}</td>
                <td>{g.acknowledgeBreaches.toLocaleString()}</td>
                <td>{minutes(g.resolveMedianMinutes)}</td>
                <td>{g.resolveBreaches.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Status loaded={drops} empty="" />
      {drops.data && (
        <ul className="bands" aria-label="NPS fell by 4 or more points, oldest first">
          {drops.data.items.map((d) => (
            <li key={`${d.customerId}|${d.surveyId}`}>
              <a href={`#customer/${encodeURIComponent(d.customerId)}`}>{d.customerId}</a>: {d.previousNps} → {d.nps} ({new Date(d.answeredAt).toLocaleDateString()})
            </li>
          ))}
          {drops.data.items.length === 0 && <li>No customer's NPS fell by 4 or more points in this range.</li>}
        </ul>
      )}
    </>
  );
}
