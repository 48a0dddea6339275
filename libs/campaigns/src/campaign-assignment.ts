import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { CampaignArm } from '../../domain/src';

/*
 * Who is held out (issue 18, point 2): a keyed hash of campaign and customer, so the arm is a function of the
 * recorded key and the two ids alone. Anyone with the CampaignLaunched event can recompute every arm, a re-run of a
 * launch assigns the same arms, and no one can steer a customer into an arm without the key. Not in libs/domain
 * because it needs node:crypto, which the domain does not import.
 */

/** 52 bits of the digest: every value exactly representable in a double, so the draw is uniform on a 2^-52 grid. */
const TWO_POW_52 = 2 ** 52;

/** The HMAC key of an assignment key as CampaignLaunched records it (hex). */
export function assignmentKeyObject(assignmentKey: string): KeyObject {
  if (!/^(?:[0-9a-f]{2})+$/i.test(assignmentKey)) throw new RangeError('an assignment key is an even number of hex digits');
  return createSecretKey(Buffer.from(assignmentKey, 'hex'));
}

/** hmacSha256(key, campaignId + ':' + customerId), its first 52 bits read as a number in [0, 1). */
export function assignmentDraw(key: string | KeyObject, campaignId: string, customerId: string): number {
  const digest = createHmac('sha256', typeof key === 'string' ? assignmentKeyObject(key) : key)
    .update(`${campaignId}:${customerId}`, 'utf8')
    .digest();
  return (digest.readUIntBE(0, 6) * 16 + (digest[6] >> 4)) / TWO_POW_52;
}

/** Control when the draw falls below the holdout share, else treatment. */
export const armOf = (key: string | KeyObject, campaignId: string, customerId: string, holdoutShare: number): CampaignArm =>
  assignmentDraw(key, campaignId, customerId) < holdoutShare ? 'control' : 'treatment';

/** A new assignment key: 256 random bits, drawn at launch (outside the decider) and recorded in CampaignLaunched. */
export const newAssignmentKey = (random: (bytes: number) => Buffer = randomBytes): string => random(32).toString('hex');
