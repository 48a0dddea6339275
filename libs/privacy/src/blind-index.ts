import { createHmac } from 'node:crypto';

/*
 * A keyed blind index for finding customers by name, e-mail or phone (issue 17) without keeping what was searched
 * for in clear: each term is an HMAC-SHA-256 under a key of the deployment (privacy.search_key, outside read_models,
 * which analysts may read), truncated to 16 bytes. Equal terms match; nothing can be read back without the key.
 */

/** The terms a profile is found by: its e-mail, its phone's digits, and each word of its name. */
export function profileTerms(profile: { name: string | null; email: string | null; phone: string | null }): string[] {
  const terms = new Set<string>();
  if (profile.email) terms.add(`email:${profile.email.trim().toLowerCase()}`);
  const digits = profile.phone?.replace(/\D/g, '');
  if (digits) terms.add(`phone:${digits}`);
  for (const word of words(profile.name ?? '')) terms.add(`name:${word}`);
  return [...terms];
}

/** What a search for `text` must match, all of it: an e-mail, a phone number, or the words of a name. */
export function queryTerms(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.includes('@')) return [`email:${trimmed.toLowerCase()}`];
  const digits = trimmed.replace(/\D/g, '');
  if (/^[+\d\s().-]+$/.test(trimmed) && digits.length >= 5) return [`phone:${digits}`];
  return [...new Set(words(trimmed).map((word) => `name:${word}`))];
}

const words = (text: string): string[] =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);

export const blindTerm = (key: Buffer, term: string): Buffer => createHmac('sha256', key).update(term).digest().subarray(0, 16);
