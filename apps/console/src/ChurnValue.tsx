import { useState } from 'react';
import type { Answer } from './api';
import { BarChart } from './Charts';
import { PagedTable } from './PagedTable';
import { Status, useApi } from './useApi';

type Summary = Answer<'/churn-risk/summary'>;
type Score = Answer<'/churn-risk'>['items'][number];
type Fit = Answer<'/analytics/churn-model'>;

const day = (iso: string) => new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(new Date(iso));
const amount = (value: number, currency: string) => new Intl.NumberFormat(undefined, { style: 'currency', currency, maximumFractionDigits: 0 }).format(value);
const number = (value: number) => new Intl.NumberFormat(undefined, { maximumSignificantDigits: 4 }).format(value);

const LABELS: Record<string, string> = { bgnbd: 'BG/NBD', mbgnbd: 'MBG/NBD', 'pareto-nbd': 'Pareto/NBD' };
const RULES: Record<string, string> = {
  configured: 'the model the churn config names',
  'lowest-holdout-error': 'the candidate with the lowest mean absolute error on the holdout',
  'first-that-fits': 'no candidate could be checked on the holdout: the first one the data identify',
};
const figure = (value: number | null) => (value === null ? '—' : number(value));

/** Issue 19: every candidate model's holdout check, and which one the fit uses. */
function Choice({ fit, choice }: { fit: Fit; choice: NonNullable<Fit['choice']> }) {
  return (
    <table className="narrow">
      <caption>Model choice: {RULES[choice.rule] ?? choice.rule}</caption>
      <thead>
        <tr>
          <th scope="col">Model</th>
          <th scope="col">Mean absolute error</th>
          <th scope="col">RMSE</th>
          <th scope="col">Predicted trips</th>
          <th scope="col">Actual trips</th>
        </tr>
      </thead>
      <tbody>
        {choice.candidates.map((c) => (
          <tr key={c.model} aria-current={c.model === fit.model ? 'true' : undefined}>
            <td>
              {LABELS[c.model] ?? c.model}
              {c.model === fit.model ? ' (used)' : ''}
            </td>
            {c.error ? (
              <td colSpan={4} className="hint">
                not identified: {c.error}
              </td>
            ) : (
              <>
                <td>{figure(c.meanAbsoluteError)}</td>
                <td>{figure(c.rootMeanSquareError)}</td>
                <td>{figure(c.predictedTrips)}</td>
                <td>{figure(c.actualTrips)}</td>
              </>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Model({ fit }: { fit: Fit }) {
  const groups = fit.holdout?.byRepeatTrips ?? [];
  const last = groups.at(-1)?.repeatTrips;
  return (
    <>
      <p>
        Fit {fit.fitId}: {fit.model} per {fit.unit}, on {fit.customers.toLocaleString()} customers ({fit.repeatBuyers.toLocaleString()} repeat) up to {day(fit.cutoff)};
        log-likelihood {number(fit.logLikelihood)}
        {fit.converged ? '' : ' (did not converge)'}.
      </p>
      <table className="narrow">
        <caption>Parameters with their standard errors</caption>
        <thead>
          <tr>
            <th scope="col">Parameter</th>
            <th scope="col">Estimate</th>
            <th scope="col">Standard error</th>
          </tr>
        </thead>
        <tbody>
          {(Object.entries(fit.params) as [keyof Fit['params'], number][]).map(([name, value]) => (
            <tr key={name}>
              <td>{name}</td>
              <td>{number(value)}</td>
              <td>{number(fit.standardErrors[name] ?? NaN)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {fit.choice && <Choice fit={fit} choice={fit.choice} />}
      <h3>Holdout</h3>
      {fit.holdout === null && <p className="hint">No holdout check: {fit.holdoutError}</p>}
      {fit.holdout && (
        <>
          <p>
            Fitted up to {day(fit.holdout.calibrationEnd)}, then predicted {number(fit.holdout.predictedTrips)} repeat trips of {fit.holdout.customers.toLocaleString()} customers
            against {fit.holdout.actualTrips.toLocaleString()} actual (mean absolute error {number(fit.holdout.meanAbsoluteError)} per customer).
          </p>
          {groups.length > 0 && (
            <BarChart
              label="Mean repeat trips in the holdout, predicted against actual, by repeat trips before it"
              labels={groups.map((g) => (g.repeatTrips === last && last >= 7 ? `${g.repeatTrips}+` : String(g.repeatTrips)))}
              series={[
                { name: 'predicted', values: groups.map((g) => g.predicted) },
                { name: 'actual', values: groups.map((g) => g.actual) },
              ]}
            />
          )}
        </>
      )}
    </>
  );
}

/** Managers and analysts: the risk bands, the customers most at risk with their reasons, the spread of CLV, and the model behind them. */
export function ChurnValue() {
  const summary = useApi<Summary>('/churn-risk/summary');
  const fit = useApi<Fit>('/analytics/churn-model');
  const [band, setBand] = useState('');
  const currency = summary.data?.scoring?.currency ?? 'EUR';
  return (
    <section aria-labelledby="churn-title">
      <h1 id="churn-title">Churn and value</h1>
      <Status loaded={summary} empty="Nobody is scored yet: the churn model scores customers once it is fitted." isEmpty={summary.data?.scoring === null} />
      {summary.data?.scoring && (
        <>
          <p className="hint">
            Scoring {summary.data.scoring.scoringId} as of {day(summary.data.scoring.asOf)}, with fit {summary.data.scoring.fitId}.
          </p>
          <ul className="bands" aria-label="Customers per risk band">
            {summary.data.bands.map((b) => (
              <li key={b.band} className={b.band}>
                <strong>{b.customers.toLocaleString()}</strong> {b.band} risk, CLV {amount(b.clv, currency)}
              </li>
            ))}
          </ul>
          <h2>Customer lifetime value</h2>
          <BarChart
            label={`Customers by CLV in ${currency}, ${summary.data.clvHistogram.length} equal buckets; the last holds the top 1 %`}
            labels={summary.data.clvHistogram.map((b) => amount(b.from, currency))}
            series={[{ name: 'customers', values: summary.data.clvHistogram.map((b) => b.customers) }]}
          />
        </>
      )}
      <h2>Highest risk</h2>
      <div className="filters">
        <label>
          Band
          <select value={band} onChange={(e) => setBand(e.target.value)}>
            <option value="">all</option>
            <option value="high">high</option>
            <option value="medium">medium</option>
            <option value="low">low</option>
          </select>
        </label>
      </div>
      <PagedTable<Score>
        caption="Customers by churn risk, highest first"
        path={`/churn-risk?sort=risk&order=desc&limit=50${band ? `&band=${band}` : ''}`}
        rowKey={(s) => s.customerId}
        empty="Nobody in this band."
        columns={[
          { header: 'Customer', cell: (s) => <a href={`#customer/${encodeURIComponent(s.customerId)}`}>{s.customerId}</a> },
          { header: 'Risk', cell: (s) => `${s.risk} (${s.band})` },
          { header: 'P(alive)', cell: (s) => `${Math.round(s.pAlive * 100)} %` },
          { header: 'CLV', cell: (s) => amount(s.clv, currency) },
          { header: 'Last trip', cell: (s) => day(s.lastTripAt) },
          { header: 'Reasons', cell: (s) => <span className="reason">{s.reasons.map((r) => `${r.text} (+${r.points})`).join('; ') || '—'}</span> },
        ]}
      />
      <h2>The model</h2>
      {fit.missing ? <p className="hint">{fit.error}</p> : <Status loaded={fit} empty="" />}
      {fit.data && <Model fit={fit.data} />}
    </section>
  );
}
