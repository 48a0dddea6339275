import { useState } from 'react';
import type { Answer } from './api';
import { BarChart, LineChart } from './Charts';
import { FeedbackCauses } from './FeedbackCauses';
import { Status, useApi } from './useApi';

type Report = Answer<'/analytics/feedback'>;
type Figures = Report['nps']['overall'];

const SEVERITIES = ['low', 'medium', 'high', 'critical'];
const nps = (value: number | null) => (value === null ? '—' : value.toFixed(1));

function Groups({ caption, column, rows }: { caption: string; column: string; rows: { name: string; figures: Figures }[] }) {
  return (
    <table className="narrow">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{column}</th>
          <th scope="col">Answers</th>
          <th scope="col">NPS</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ name, figures }) => (
          <tr key={name}>
            <td>{name}</td>
            <td>{figures.answers.toLocaleString()}</td>
            <td>{nps(figures.nps)}</td>
          </tr>
        ))}
        {rows.length === 0 && (
          <tr>
            <td colSpan={3}>No answers in this range.</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

/** Managers and analysts: NPS over time and by destination and product, complaints by category and severity over time, and what they point at. */
export function Feedback() {
  const [range, setRange] = useState({ from: '', to: '' });
  const query = new URLSearchParams();
  if (range.from) query.set('from', `${range.from}T00:00:00Z`);
  if (range.to) query.set('to', `${range.to}T00:00:00Z`);
  const report = useApi<Report>(`/analytics/feedback?${query}`);
  const data = report.data;
  const months = [...new Set(data?.complaints.byMonth.map((c) => c.month) ?? [])].sort();
  const perSeverity = SEVERITIES.map((severity) => ({
    name: severity,
    values: months.map((month) => data!.complaints.byMonth.filter((c) => c.month === month && c.severity === severity).reduce((sum, c) => sum + c.count, 0)),
  }));
  const date = (key: 'from' | 'to') => ({ value: range[key], onChange: (e: { target: { value: string } }) => setRange({ ...range, [key]: e.target.value }) });
  return (
    <section aria-labelledby="feedback-title">
      <h1 id="feedback-title">Feedback</h1>
      <div className="filters">
        <label>
          From
          <input type="date" {...date('from')} />
        </label>
        <label>
          To (exclusive)
          <input type="date" {...date('to')} />
        </label>
      </div>
      <Status loaded={report} empty="" />
      {data && (
        <>
          <p className="hint">
            {new Date(data.from).toLocaleDateString()} to {new Date(data.to).toLocaleDateString()}: {data.nps.overall.answers.toLocaleString()} survey answers, NPS{' '}
            <strong>{nps(data.nps.overall.nps)}</strong> ({data.nps.overall.promoters.toLocaleString()} promoters, {data.nps.overall.passives.toLocaleString()} passives,{' '}
            {data.nps.overall.detractors.toLocaleString()} detractors).
          </p>
          <h2>NPS over time</h2>
          <LineChart label="NPS per month (promoters minus detractors, in points)" labels={data.nps.byMonth.map((m) => m.month)} series={[{ name: 'NPS', values: data.nps.byMonth.map((m) => m.nps) }]} />
          <div className="columns">
            <Groups
              caption="NPS by destination"
              column="Destination"
              rows={data.nps.byDestination.map((d) => ({ name: d.destination ? `${d.destination.city}, ${d.destination.country}` : 'no booking named', figures: d }))}
            />
            <Groups caption="NPS by product type" column="Product type" rows={data.nps.byProductType.map((p) => ({ name: p.productType ?? 'no booking named', figures: p }))} />
          </div>
          <h2>Complaints</h2>
          {months.length === 0 ? (
            <p className="hint">No complaints in this range.</p>
          ) : (
            <BarChart label="Complaints filed per month, by severity" labels={months} series={perSeverity} />
          )}
          <div className="columns">
            <table className="narrow">
              <caption>Complaints by category</caption>
              <thead>
                <tr>
                  <th scope="col">Category</th>
                  <th scope="col">Filed</th>
                  <th scope="col">Still open</th>
                </tr>
              </thead>
              <tbody>
                {data.complaints.byCategory.map((c) => (
                  <tr key={c.category}>
                    <td>{c.category}</td>
                    <td>{c.count.toLocaleString()}</td>
                    <td>{c.open.toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <ul className="bands" aria-label="Complaints by severity">
              {data.complaints.bySeverity.map((s) => (
                <li key={s.severity}>
                  <strong>{s.count.toLocaleString()}</strong> {s.severity} ({s.open.toLocaleString()} open)
                </li>
              ))}
            </ul>
          </div>
          <FeedbackCauses query={query.toString()} />
        </>
      )}
    </section>
  );
}
