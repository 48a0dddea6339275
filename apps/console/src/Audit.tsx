import { useState } from 'react';
import { api, errorText } from './api';
import { AuditTrails } from './AuditTrails';

type Report =
  | { ok: true; events: number; streams: number; head: { seq: number; position: number }; pending: { events: number } }
  | { ok: false; chain: string; streamId: string | null; streamPosition: number | null; globalPosition: number; eventId: string | null; reason: string };

/** Auditors and admins: verify the log's hash chains (naming the first broken link), and read the trails and the access log. */
export function Audit() {
  const [report, setReport] = useState<Report | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const verify = async () => {
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      setReport(await api.get<Report>('/audit/verify'));
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit</h1>
      <p className="hint">Walks every stream&apos;s hash chain and the sealed global chain of the whole log.</p>
      <button type="button" onClick={verify} disabled={busy}>
        {busy ? 'Verifying…' : 'Verify the log'}
      </button>
      {error && <p role="alert" className="error">{error}</p>}
      {report?.ok === true && (
        <p role="status" className="verdict intact">
          Intact: {report.events.toLocaleString()} events in {report.streams.toLocaleString()} streams; sealed through position {report.head.position} (seal{' '}
          {report.head.seq}), {report.pending.events} waiting to be sealed.
        </p>
      )}
      {report?.ok === false && (
        <div role="alert" className="verdict broken">
          <strong>Broken</strong> in the {report.chain} chain at global position {report.globalPosition}
          {report.streamId && ` (stream ${report.streamId}, position ${report.streamPosition}, event ${report.eventId})`}: {report.reason}
        </div>
      )}
      <AuditTrails />
    </section>
  );
}
