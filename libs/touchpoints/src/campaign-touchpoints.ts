import { insideQuietHours } from './touchpoint-config';
import { draft, hintsFor, ms, withConsent, type Context, type Draft } from './schedule-context';
import { addDays, localParts, zonedTime } from './zoned-time';

/**
 * A campaign send (issue 18): one touchpoint per treated assignment (CampaignArmAssigned, arm 'treatment'), due when
 * the send window opens, or at the assignment if that is later, moved out of the customer's quiet hours. The channel
 * and hints are the campaign's as copied into the assignment; the language is the customer's. A marketing kind by
 * default, so it needs consent at its due time and counts against the frequency cap. Never due after the window
 * closes: whatever would push it there (quiet hours, the cap) skips it instead. Control assignments have no row: the
 * assignment event itself records that they were held out. A paused or ended campaign's rows stay as computed here
 * (the campaign's own events are in another stream and partition); the work queue and the export leave them out.
 */
export function campaignTouchpoints(ctx: Context): Draft[] {
  const kind = 'campaign';
  if (!ctx.config.rules[kind].enabled) return [];
  const drafts: Draft[] = [];
  const seen = new Set<string>();
  for (const assignment of ctx.facts.campaigns ?? []) {
    // One send per campaign: an assignment repeated (it should not be) keeps the first.
    if (assignment.arm !== 'treatment' || seen.has(assignment.campaignId)) continue;
    seen.add(assignment.campaignId);
    const untilMs = ms(assignment.sendWindow.until);
    const placed = outsideQuietHours(ctx, Math.max(ms(assignment.sendWindow.from), ms(assignment.assignedAt)));
    const touchpoint = draft(ctx, kind, assignment.campaignId, {
      campaignId: assignment.campaignId,
      channel: assignment.channel,
      notAfterMs: untilMs,
      ...placed,
      contentHints: hintsFor(ctx, kind, assignment.contentHints),
    });
    if (touchpoint.dueMs > untilMs) {
      touchpoint.status = 'skipped';
      touchpoint.statusReason = `send window closed at ${assignment.sendWindow.until}`;
    }
    drafts.push(withConsent(ctx, touchpoint));
  }
  return drafts;
}

/** An instant moved to the end of the quiet hours when it falls inside them (the next day when the window crosses midnight and it is before midnight). */
function outsideQuietHours(ctx: Context, atMs: number): { dueMs: number; notes: string[] } {
  const quiet = ctx.config.quietHours;
  const local = localParts(atMs, ctx.timeZone);
  if (!insideQuietHours(local.time, quiet)) return { dueMs: atMs, notes: [] };
  const day = quiet.start > quiet.end && local.time >= quiet.start ? addDays(local.date, 1) : local.date;
  return { dueMs: zonedTime(day, quiet.end, ctx.timeZone), notes: [`quiet hours ${quiet.start}-${quiet.end}: moved from ${local.time} to ${quiet.end} local`] };
}
