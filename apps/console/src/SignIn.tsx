import { useState, type FormEvent } from 'react';
import { api, errorText, type Who } from './api';

/** An API key (or a token where JWT is configured), exchanged once for a session; the field is cleared at once. */
export function SignIn({ onSignedIn }: { onSignedIn: (who: Who) => void }) {
  const [credential, setCredential] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api.signIn(credential.trim());
      setCredential('');
      onSignedIn({ id: session.id, role: session.role });
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <h1>Lifecycle console</h1>
      <form onSubmit={submit}>
        <label htmlFor="credential">API key or token</label>
        <input id="credential" name="credential" type="password" autoComplete="off" required value={credential} onChange={(e) => setCredential(e.target.value)} />
        <button type="submit" disabled={busy || !credential.trim()}>
          Sign in
        </button>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
