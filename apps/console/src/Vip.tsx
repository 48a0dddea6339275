import { useState, type FormEvent } from 'react';
import { api, errorText } from './api';

/** A manager's decision: VIP status granted or taken back, with the reason kept in the event. */
export function Vip({ customerId, vip, onWritten }: { customerId: string; vip: boolean; onWritten: (position: number) => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const path = `/customers/${encodeURIComponent(customerId)}/vip`;
      const answer = vip ? await api.delete<{ position: number }>(path, { reason }) : await api.post<{ position: number }>(path, { reason });
      setReason('');
      onWritten(answer.position);
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="VIP status">
      <label>
        Reason
        <input value={reason} required maxLength={500} onChange={(e) => setReason(e.target.value)} />
      </label>
      <button type="submit">{vip ? 'Revoke VIP' : 'Grant VIP'}</button>
      {error && <p role="alert" className="error">{error}</p>}
    </form>
  );
}
