import { useEffect, useState } from 'react';
import { api, errorText, type Who } from './api';
import { Audit } from './Audit';
import { Customer } from './Customer';
import { SignIn } from './SignIn';
import { WorkQueue } from './WorkQueue';

type Page = 'queue' | 'customer' | 'audit';

/** The page the address names: #queue (the default), #customer/<id> or #audit. */
const pageOf = (hash: string): { page: Page; customerId: string | null } => {
  const [page, id] = hash.replace(/^#/, '').split('/');
  if (page === 'customer') return { page, customerId: id ? decodeURIComponent(id) : null };
  return { page: page === 'audit' ? 'audit' : 'queue', customerId: null };
};

/** Who may open the audit page (as the API decides: ACCESS.audit). */
const AUDITORS = ['auditor', 'admin'];

/** The shell: sign-in until there is a session, then the pages the role may see. */
export function App() {
  const [who, setWho] = useState<Who | null | undefined>(undefined);
  const [problem, setProblem] = useState<string | null>(null);
  const [route, setRoute] = useState(pageOf(location.hash));
  useEffect(() => {
    const follow = () => setRoute(pageOf(location.hash));
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  const openCustomer = (id: string) => (location.hash = `customer/${encodeURIComponent(id)}`);
  useEffect(() => {
    api.whoAmI().then(
      (found) => setWho(found),
      (error: unknown) => setProblem(errorText(error)),
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
          <a href="#queue" aria-current={route.page === 'queue' ? 'page' : undefined}>
            Work queue
          </a>
          <a href="#customer" aria-current={route.page === 'customer' ? 'page' : undefined}>
            Customer
          </a>
          {AUDITORS.includes(who.role) && (
            <a href="#audit" aria-current={route.page === 'audit' ? 'page' : undefined}>
              Audit
            </a>
          )}
        </nav>
        <span className="who">
          {who.id} <span className="role">{who.role}</span>
        </span>
        <button type="button" onClick={() => api.signOut().then(() => setWho(null))}>
          Sign out
        </button>
      </header>
      <main>
        {route.page === 'customer' && <Customer key={route.customerId} customerId={route.customerId} role={who.role} onOpen={openCustomer} />}
        {route.page === 'audit' &&
          (AUDITORS.includes(who.role) ? (
            <Audit />
          ) : (
            <p role="alert" className="error">
              The audit page is for auditors and admins; {who.id} signs in as {who.role}.
            </p>
          ))}
        {route.page === 'queue' && <WorkQueue role={who.role} />}
      </main>
    </div>
  );
}
