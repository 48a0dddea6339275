/**
 * A timestamptz column as the ISO 8601 text JavaScript writes (UTC, milliseconds), so instants read from a read
 * model compare as strings with the events' occurredAt and come out of the API in one form.
 */
export const isoInstantSql = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
