import { useEffect, useState } from 'react';
import { api, ApiError, errorText } from './api';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  /** The engine answered 404: there is none (yet), which `error` says in words. */
  missing?: boolean;
}

/** GET `path` (none while null) and again whenever it or `refresh` changes; the answer, or the error in words. */
export function useApi<T>(path: string | null, refresh = 0): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: null, error: null, loading: path !== null });
  useEffect(() => {
    if (path === null) return;
    let current = true;
    setState((previous) => ({ ...previous, loading: true, error: null }));
    api.get<T>(path).then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error: unknown) => current && setState({ data: null, error: errorText(error), loading: false, missing: error instanceof ApiError && error.status === 404 }),
    );
    return () => {
      current = false;
    };
  }, [path, refresh]);
  return state;
}

/** Loading, error and empty states of one block, in words; null once there is something to show. */
export function Status({ loaded, empty, isEmpty }: { loaded: Loaded<unknown>; empty: string; isEmpty?: boolean }) {
  if (loaded.error) return <p role="alert" className="error">{loaded.error}</p>;
  if (loaded.loading && !loaded.data) return <p aria-busy="true">Loading…</p>;
  if (isEmpty) return <p className="hint">{empty}</p>;
  return null;
}
