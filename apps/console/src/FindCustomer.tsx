import { useState, type FormEvent } from 'react';
import { api, errorText } from './api';

/** Customers by name, e-mail or phone, through the engine's blind index (GET /search/customers); links to their pages. */
export function FindCustomer() {
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const find = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      setFound((await api.get<{ customers: string[] }>(`/search/customers?${new URLSearchParams({ q: query })}`)).customers);
    } catch (caught) {
      setFound(null);
      setError(errorText(caught));
    }
  };
  return (
    <>
      <form className="filters" onSubmit={find} role="search" aria-label="Find a customer">
        <label>
          Name, e-mail or phone
          <input value={query} onChange={(e) => setQuery(e.target.value)} maxLength={200} />
        </label>
        <button type="submit">Find</button>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
      {found && (
        <ul aria-label="Customers found" className="found">
          {found.map((id) => (
            <li key={id}>
              <a href={`#customer/${encodeURIComponent(id)}`}>{id}</a>
            </li>
          ))}
          {found.length === 0 && <li>No customer found (a forgotten customer cannot be found).</li>}
        </ul>
      )}
    </>
  );
}
