import { useState } from 'react';
import { api, errorText, type Answer } from './api';
import { Status, useApi } from './useApi';

/* Campaigns (issue 18): what each one is, its arms, and what it changed against its held-out control group, in the
 * words docs/campaigns.md uses. Managers launch, pause, resume and end them and export the sends; everyone else who
 * reads the whole base sees the results. */

type List = Answer<'/campaigns'>;
type Campaign = List['items'][number];
type Results = Answer<'/campaigns/{id}/results'>;
type Arm = Results['arms']['treatment'];

const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)} %`);
const points = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(1)} points`;
const day = (instant: string | null) => (instant ? instant.slice(0, 10) : '—');
/** Minor units by currency, e.g. "EUR 150.00"; fractional per-customer figures keep two decimals of the major unit. */
const money = (byCurrency: Record<string, number>) =>
  Object.entries(byCurrency)
    .map(([currency, minor]) => `${currency} ${(minor / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`)
    .join(', ') || '—';

/** What the next lifecycle step of a campaign in this status is called, and its route. */
const STEPS: Record<Campaign['status'], { label: string; action: string }[]> = {
  defined: [{ label: 'Launch', action: 'launch' }],
  running: [
    { label: 'Pause', action: 'pause' },
    { label: 'End', action: 'end' },
  ],
  paused: [
    { label: 'Resume', action: 'resume' },
    { label: 'End', action: 'end' },
  ],
  ended: [],
};

function ArmRow({ name, arm }: { name: string; arm: Arm }) {
  return (
    <tr>
      <th scope="row">{name}</th>
      <td>{arm.customers.toLocaleString()}</td>
      <td>{arm.conversions.toLocaleString()}</td>
      <td>{percent(arm.conversionRate)}</td>
      <td>{money(arm.revenuePerCustomer)}</td>
      <td>{arm.windowsOpen.toLocaleString()}</td>
      <td>{(arm.dropped.consentWithdrawn + arm.dropped.forgotten).toLocaleString()}</td>
    </tr>
  );
}

/** The uplift in one sentence a manager can repeat, with what it does not say. */
function Verdict({ results }: { results: Results }) {
  const { uplift, arms } = results;
  if (!uplift) return <p className="hint">No uplift yet: an arm has no customers.</p>;
  const { low, high } = uplift.interval95;
  const clear = low > 0 || high < 0;
  return (
    <>
      <p role="status">
        Treated customers converted at <strong>{percent(arms.treatment.conversionRate)}</strong>, the control group at{' '}
        <strong>{percent(arms.control.conversionRate)}</strong>: <strong>{points(uplift.absolute)}</strong> (95 % interval {points(low)} to {points(high)}
        {uplift.pValue === null ? '' : `, p = ${uplift.pValue < 0.001 ? '< 0.001' : uplift.pValue.toFixed(3)}`}).{' '}
        {clear ? (uplift.absolute > 0 ? 'The campaign raised conversions.' : 'The campaign lowered conversions.') : 'The interval contains 0: no effect is shown.'}
      </p>
      <p>
        About {Math.round(uplift.incrementalConversions).toLocaleString()} conversions ({Math.round(uplift.incrementalConversionsInterval95.low).toLocaleString()} to{' '}
        {Math.round(uplift.incrementalConversionsInterval95.high).toLocaleString()}) and {money(uplift.incrementalRevenue)} of revenue came from the campaign
        {uplift.relative === null ? '' : `; relative uplift ${percent(uplift.relative)}`}.
      </p>
      {uplift.smallSample && <p className="hint">An arm has fewer than 10 conversions or non-conversions: the interval is rough.</p>}
      <p className="hint">
        {uplift.method.charAt(0).toUpperCase() + uplift.method.slice(1)}. Read it once, when the conversion windows have closed: looking again and again until it shows an effect finds effects that are not there.
      </p>
    </>
  );
}

/** `?minPosition=` of the last change made here: the read models answer once they include it (read-your-writes). */
const after = (position: number | null) => (position === null ? '' : `?minPosition=${position}`);

function CampaignDetail({ campaign, canManage, position, onChanged }: { campaign: Campaign; canManage: boolean; position: number | null; onChanged: (position: number | null) => void }) {
  const results = useApi<Results>(`/campaigns/${encodeURIComponent(campaign.campaignId)}/results${after(position)}`);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const step = (action: string) => {
    setBusy(true);
    setProblem(null);
    api.post<{ position: number | null }>(`/campaigns/${encodeURIComponent(campaign.campaignId)}/${action}`, {}).then(
      (answer) => {
        setBusy(false);
        onChanged(answer.position);
      },
      (error: unknown) => {
        setBusy(false);
        setProblem(errorText(error));
      },
    );
  };
  const { definition } = campaign;
  return (
    <section aria-label={`Campaign ${campaign.name}`}>
      <h2>{campaign.name}</h2>
      <p>
        {campaign.status}; {definition.channel}; {percent(definition.holdoutShare)} held out; goal: {definition.goal.kind}
        {definition.goal.amount ? ` of at least ${money({ [definition.goal.amount.currency]: definition.goal.amount.value })}` : ''} within {definition.conversionWindowDays} days;
        sends {day(definition.sendWindow.from)} to {day(definition.sendWindow.until)}
      </p>
      {canManage && (
        <div className="actions">
          {STEPS[campaign.status].map(({ label, action }) => (
            <button key={action} type="button" disabled={busy} onClick={() => step(action)}>
              {label}
            </button>
          ))}
          {campaign.status !== 'defined' && (
            <button type="button" onClick={() => api.download(`/campaigns/${encodeURIComponent(campaign.campaignId)}/export`, `${campaign.campaignId}-sends.csv`).catch((error: unknown) => setProblem(errorText(error)))}>
              Export sends (CSV)
            </button>
          )}
        </div>
      )}
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <Status loaded={results} empty="" />
      {results.data && (
        <>
          <table>
            <caption>Results as of {results.data.asOf.slice(0, 16).replace('T', ' ')} UTC</caption>
            <thead>
              <tr>
                <th scope="col">Arm</th>
                <th scope="col">Customers</th>
                <th scope="col">Conversions</th>
                <th scope="col">Rate</th>
                <th scope="col">Revenue per customer</th>
                <th scope="col">Windows still open</th>
                <th scope="col">Dropped (consent, forgotten)</th>
              </tr>
            </thead>
            <tbody>
              <ArmRow name="Treatment" arm={results.data.arms.treatment} />
              <ArmRow name="Control" arm={results.data.arms.control} />
            </tbody>
          </table>
          <Verdict results={results.data} />
        </>
      )}
    </section>
  );
}

export function Campaigns({ role }: { role: string }) {
  const [position, setPosition] = useState<number | null>(null);
  const list = useApi<List>(`/campaigns${after(position)}`);
  const [chosen, setChosen] = useState<string | null>(null);
  const campaigns = list.data?.items ?? [];
  const current = campaigns.find((c) => c.campaignId === chosen) ?? null;
  return (
    <>
      <h1>Campaigns</h1>
      <p className="hint">Each campaign holds out a control group chosen by a keyed hash; what it changed is the difference between the arms.</p>
      <Status loaded={list} empty="No campaigns yet: managers define them with POST /campaigns (docs/campaigns.md)." isEmpty={list.data !== null && campaigns.length === 0} />
      {campaigns.length > 0 && (
        <table>
          <caption>Campaigns</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Channel</th>
              <th scope="col">Held out</th>
              <th scope="col">Launched</th>
              <th scope="col">Treatment</th>
              <th scope="col">Control</th>
            </tr>
          </thead>
          <tbody>
            {campaigns.map((c) => (
              <tr key={c.campaignId} aria-selected={c.campaignId === chosen}>
                <td>
                  <button type="button" className="link" onClick={() => setChosen(c.campaignId)}>
                    {c.name}
                  </button>
                </td>
                <td>{c.status}</td>
                <td>{c.definition.channel}</td>
                <td>{percent(c.definition.holdoutShare)}</td>
                <td>{day(c.launchedAt)}</td>
                <td>{c.arms.treatment.toLocaleString()}</td>
                <td>{c.arms.control.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {current && <CampaignDetail key={current.campaignId} campaign={current} canManage={role === 'manager' || role === 'admin'} position={position} onChanged={setPosition} />}
    </>
  );
}
