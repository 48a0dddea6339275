import { useEffect, useState } from 'react';
import { api, ApiError, type Who } from './api';
import { SignIn } from './SignIn';
import { WorkQueue } from './WorkQueue';

/** The shell: sign-in until there is a session, then the pages the role may see. */
export function App() {
  const [who, setWho] = useState<Who | null | undefined>(undefined);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    api.whoAmI().then(
      (found) => setWho(found),
      (error: unknown) => setProblem(error instanceof ApiError ? error.message : String(error)),
    );
  }, []);
  if (problem) return <p role="alert">{problem}</p>;
  if (who === undefined) return <p aria-busy="true">Loading…</p>;
  if (who === null) return <SignIn onSignedIn={setWho} />;
  return (
    <div className="shell">
      <header>
        <strong>Lifecycle console</strong>
        <nav aria-label="Pages">
          <a href="#queue" aria-current="page">
            Work queue
          </a>
        </nav>
        <span className="who">
          {who.id} <span className="role">{who.role}</span>
        </span>
        <button type="button" onClick={() => api.signOut().then(() => setWho(null))}>
          Sign out
        </button>
      </header>
      <main>
        <WorkQueue role={who.role} />
      </main>
    </div>
  );
}
