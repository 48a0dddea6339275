import { useEffect, useState, type ReactNode } from 'react';
import { api, errorText, type Who } from './api';
import { Audit } from './Audit';
import { Campaigns } from './Campaigns';
import { ChurnValue } from './ChurnValue';
import { Customer } from './Customer';
import { Feedback } from './Feedback';
import { Segments } from './Segments';
import { SignIn } from './SignIn';
import { WorkQueue } from './WorkQueue';

const EVERYONE = ['agent', 'manager', 'analyst', 'auditor', 'admin'];
/** As the API decides: ACCESS.readAllCustomers, ACCESS.audit. */
const WHOLE_BASE = ['manager', 'analyst', 'auditor', 'admin'];
const AUDITORS = ['auditor', 'admin'];

interface PageOf {
  title: string;
  roles: string[];
  show: (who: Who, customerId: string | null) => ReactNode;
}

const openCustomer = (id: string) => (location.hash = `customer/${encodeURIComponent(id)}`);

/** Every page, in the order of the navigation: who may see it (the API refuses everyone else anyway), and what it shows. */
const PAGES: Record<string, PageOf> = {
  queue: { title: 'Work queue', roles: EVERYONE, show: (who) => <WorkQueue role={who.role} /> },
  customer: { title: 'Customer', roles: EVERYONE, show: (who, id) => <Customer key={id} customerId={id} role={who.role} onOpen={openCustomer} /> },
  segments: { title: 'Segments', roles: WHOLE_BASE, show: () => <Segments /> },
  churn: { title: 'Churn and value', roles: WHOLE_BASE, show: () => <ChurnValue /> },
  feedback: { title: 'Feedback', roles: WHOLE_BASE, show: () => <Feedback /> },
  campaigns: { title: 'Campaigns', roles: WHOLE_BASE, show: (who) => <Campaigns role={who.role} /> },
  audit: { title: 'Audit', roles: AUDITORS, show: () => <Audit /> },
};

/** The page the address names: #queue (the default), #customer/<id>, #segments, ... */
const pageOf = (hash: string): { page: string; customerId: string | null } => {
  const [page, id] = hash.replace(/^#/, '').split('/');
  return { page: page in PAGES ? page : 'queue', customerId: page === 'customer' && id ? decodeURIComponent(id) : null };
};

/** "managers, analysts and admins" */
const rolesText = (roles: string[]) => {
  const plural = roles.map((role) => `${role}s`);
  return plural.length > 1 ? `${plural.slice(0, -1).join(', ')} and ${plural.at(-1)}` : plural[0];
};

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
  // Asked again on "Try again": an engine restarting or a database away must not leave a page that only a reload mends.
  const [asked, setAsked] = useState(0);
  useEffect(() => {
    api.whoAmI().then(
      (found) => setWho(found),
      (error: unknown) => setProblem(errorText(error)),
    );
  }, [asked]);
  if (problem) {
    return (
      <div role="alert">
        <p>{problem}</p>
        <button
          type="button"
          onClick={() => {
            setProblem(null);
            setAsked((n) => n + 1);
          }}
        >
          Try again
        </button>
      </div>
    );
  }
  if (who === undefined) return <p aria-busy="true">Loading…</p>;
  if (who === null) return <SignIn onSignedIn={setWho} />;
  const page = PAGES[route.page];
  return (
    <div className="shell">
      <header>
        <strong>Lifecycle console</strong>
        <nav aria-label="Pages">
          {Object.entries(PAGES)
            .filter(([, { roles }]) => roles.includes(who.role))
            .map(([key, { title }]) => (
              <a key={key} href={`#${key}`} aria-current={route.page === key ? 'page' : undefined}>
                {title}
              </a>
            ))}
        </nav>
        <span className="who">
          {who.id} <span className="role">{who.role}</span>
        </span>
        <button type="button" onClick={() => api.signOut().then(() => setWho(null))}>
          Sign out
        </button>
      </header>
      <main>
        {page.roles.includes(who.role) ? (
          page.show(who, route.customerId)
        ) : (
          <p role="alert" className="error">
            The {page.title.toLowerCase()} page is for {rolesText(page.roles)}; {who.id} signs in as {who.role}.
          </p>
        )}
      </main>
    </div>
  );
}
