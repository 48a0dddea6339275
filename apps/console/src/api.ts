/** The engine's own API, same origin, with the session cookie; writes carry the CSRF token the sign-in gave. */
import type { paths } from './openapi';

/** What GET `P` answers (200, JSON), as the engine's own OpenAPI document describes it (openapi.d.ts, generated). */
export type Answer<P extends keyof paths> = paths[P] extends { get: { responses: { 200: { content: { 'application/json': infer T } } } } } ? T : never;

/** Who is signed in. */
export interface Who {
  id: string;
  role: string;
}

export interface SignedIn {
  id: string;
  role: string;
  csrfToken: string;
  expiresAt: string;
}

/** An answer other than 2xx, in words: the engine's message, and the field and rule it names. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
    readonly rule?: string,
  ) {
    super(message);
  }
}

/** An error in words, for the page: the engine's message when it answered. */
export const errorText = (error: unknown): string => (error instanceof ApiError ? error.message : String(error));

/** Kept for the tab's life (a reload keeps it; the cookie it goes with is out of the page's reach). */
const CSRF_KEY = 'tle-csrf';
let csrfToken: string | null = sessionStorage.getItem(CSRF_KEY);

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'the engine cannot be reached: is it running?');
  }
  if (res.status === 204) return undefined as T;
  if (!res.ok) throw await failure(res);
  return (await res.json().catch(() => ({}))) as T;
}

/** The engine's error answer (status, message, field, rule) as an ApiError. */
async function failure(res: Response): Promise<ApiError> {
  const answer = (await res.json().catch(() => ({}))) as { message?: string; field?: string; rule?: string };
  return new ApiError(res.status, answer.message ?? `${res.status} ${res.statusText}`, answer.field, answer.rule);
}

/** Saves what `path` answers as text/csv under `name`, through the browser's own download. */
async function download(path: string, name: string): Promise<void> {
  const res = await fetch(path, { headers: { Accept: 'text/csv' }, credentials: 'same-origin' }).catch(() => {
    throw new ApiError(0, 'the engine cannot be reached: is it running?');
  });
  if (!res.ok) throw await failure(res);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await res.blob());
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

export const api = {
  download,
  get: <T>(path: string) => call<T>('GET', path),
  /** Who the session cookie signs in, or null when there is none (or it ended). */
  whoAmI: () => call<Omit<SignedIn, 'csrfToken'>>('GET', '/auth/session').catch((error: unknown) => (error instanceof ApiError && error.status === 401 ? null : Promise.reject(error))),
  post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
  delete: <T>(path: string, body?: unknown) => call<T>('DELETE', path, body),
  async signIn(credential: string): Promise<SignedIn> {
    const session = await call<SignedIn>('POST', '/auth/session', { credential });
    csrfToken = session.csrfToken;
    sessionStorage.setItem(CSRF_KEY, session.csrfToken);
    return session;
  },
  async signOut(): Promise<void> {
    await call('DELETE', '/auth/session').catch(() => undefined);
    csrfToken = null;
    sessionStorage.removeItem(CSRF_KEY);
  },
};
