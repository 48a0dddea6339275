/**
 * Who may do what (issue 7, docs/security.md). A role is a set of abilities; each endpoint names the abilities
 * that let a caller in, so the matrix lives in one place and every route says what it needs.
 */
export const ROLES = ['agent', 'manager', 'analyst', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** Whom a request acts for: the name of an API key, or a JWT's subject. It becomes the events' `actor`. */
export interface Principal {
  id: string;
  role: Role;
  /** How the caller proved it: an API key (its id and its own rate limit) or a bearer token from the configured issuer. */
  via: { kind: 'api-key'; keyId: string; rateLimitPerMinute: number } | { kind: 'jwt'; issuer: string };
}

/** Roles that see personal data in clear; analysts get it masked, and only clear reads enter the access log. */
export const SEES_PERSONAL_DATA: readonly Role[] = ['agent', 'manager', 'auditor', 'admin'];

/** Every role that can read anything at all; the admin operates the engine and may read what it operates. */
export const ALL_ROLES: readonly Role[] = ROLES;

export const ACCESS = {
  /** Write customer events: register, book, complain, log interactions, complete touchpoints, import. */
  writeCustomers: ['agent', 'manager', 'admin'],
  /** Read one customer by id (overview, history, state, their segments, risk, touchpoints). */
  readCustomer: ['agent', 'manager', 'analyst', 'auditor', 'admin'],
  /** The customer's raw log and folded state: not a read model, so not for analysts. */
  readCustomerLog: ['agent', 'manager', 'auditor', 'admin'],
  /** Lists over all customers, segment and churn analytics, exports. */
  readAllCustomers: ['manager', 'analyst', 'auditor', 'admin'],
  /** The daily work queue of due touchpoints: agents work it. */
  readWorkQueue: ['agent', 'manager', 'analyst', 'auditor', 'admin'],
  /** VIP status and destination risk alerts: a manager's decision. */
  manage: ['manager', 'admin'],
  /** Audit trail, access log, hash-chain verification. */
  audit: ['auditor', 'admin'],
  /** Keys, model fits, recorded segment evaluations, forgetting a customer. */
  administer: ['admin'],
  /** Projection status: any authenticated caller. */
  anyone: ALL_ROLES,
} as const satisfies Record<string, readonly Role[]>;
