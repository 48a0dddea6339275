import type { Pool } from 'pg';
import { decodeCursor, encodeCursor, isoInstantSql } from '../../libs/projection-engine/src';

/** One message for a sending gateway: an open campaign touchpoint with the address its channel needs. */
export interface CampaignSend {
  touchpointId: string;
  customerId: string;
  channel: string;
  /** Both read from customer_overview (personal data: screened by the API before it leaves); the export keeps the one the channel needs. */
  email: string | null;
  phone: string | null;
  language: string;
  contentHints: string[];
  dueAt: string;
}

/**
 * The campaign's open touchpoints (treated customers with consent at the due time and now, within the send window and
 * the frequency cap; a forgotten customer's are cancelled) by due time, keyset-paged, optionally only those due before an instant.
 */
export async function campaignSends(
  pool: Pool,
  query: { campaignId: string; dueBefore?: string; limit: number; cursor?: string },
): Promise<{ items: CampaignSend[]; nextCursor: string | null }> {
  const after = query.cursor ? decodeCursor(query.cursor, 'instant') : null;
  const values: unknown[] = [query.campaignId];
  // Consent as it is now, too: the schedule judged it at the due time, and a send due before a withdrawal but still
  // unsent must not go out after it.
  const where = [`t.campaign_id = $1`, `t.status = 'open'`, `(NOT t.marketing OR o.marketing_consent)`, `NOT coalesce(o.erased, false)`];
  if (query.dueBefore) where.push(`t.due_at < $${values.push(query.dueBefore)}`);
  if (after) where.push(`(t.due_at, t.touchpoint_id) > ($${values.push(after[0])}::timestamptz, $${values.push(after[1])})`);
  const { rows } = await pool.query(
    `SELECT t.touchpoint_id, t.customer_id, t.channel, o.email, o.phone, t.language, t.content_hints, ${isoInstantSql('t.due_at')} AS due_at
       FROM read_models.touchpoints t LEFT JOIN read_models.customer_overview o ON o.customer_id = t.customer_id
      WHERE ${where.join(' AND ')}
      ORDER BY t.due_at, t.touchpoint_id LIMIT $${values.push(query.limit + 1)}`,
    values,
  );
  const items: CampaignSend[] = rows.slice(0, query.limit).map((row) => ({
    touchpointId: row.touchpoint_id,
    customerId: row.customer_id,
    channel: row.channel,
    email: row.email,
    phone: row.phone,
    language: row.language,
    contentHints: row.content_hints,
    dueAt: row.due_at,
  }));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > query.limit ? encodeCursor(last.dueAt, last.touchpointId) : null };
}
