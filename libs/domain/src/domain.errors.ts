/**
 * Typed domain errors. The API maps them to HTTP statuses:
 * InvalidInput -> 400 (names the field and the rule), NotFound -> 404, RuleViolated -> 409 (names the rule),
 * Unprocessable -> 422 (names the rule).
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'invalid_input' | 'not_found' | 'rule_violated' | 'unprocessable';
}

export class InvalidInput extends DomainError {
  readonly kind = 'invalid_input' as const;
  constructor(
    readonly field: string,
    readonly rule: string,
    message?: string,
    /** Every rule a command's shape broke (field names the first); absent when one format check stopped the parse. */
    readonly errors?: readonly { field: string; rule: string }[],
  ) {
    super(message ?? `${field}: ${rule}`);
  }
}

export class NotFound extends DomainError {
  readonly kind = 'not_found' as const;
  constructor(
    readonly entity: 'customer' | 'booking' | 'complaint' | 'touchpoint' | 'campaign',
    readonly id: string,
  ) {
    super(`${entity} ${id} not found`);
  }
}

export class RuleViolated extends DomainError {
  readonly kind = 'rule_violated' as const;
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

/** A well-formed value this installation is not configured to handle (a currency without an exchange rate). */
export class Unprocessable extends DomainError {
  readonly kind = 'unprocessable' as const;
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}
