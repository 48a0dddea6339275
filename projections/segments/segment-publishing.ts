import type { PoolClient } from 'pg';
import { SEGMENTS_SCHEDULE_STREAM } from '../../libs/domain/src/engine-schedule';
import { START, type EventStore } from '../../libs/event-store/src';
import { ALL_PARTITIONS, isoInstantSql, scheduleEvent } from '../../libs/projection-engine/src';
import { segmentConfig, type SegmentConfig } from '../../libs/segments/src';
import type { EvaluationTrigger } from './segment-evaluation';

/*
 * Recorded evaluations into the log (engine-schedule-segments): apart from segment-recording.ts, which imports the
 * segment_facts projection, because that projection's RecordedWork.publish calls this too.
 */

/** An evaluation recorded before partitions were kept: every partition at its facts position. */
const legacyCheckpoints = async (store: EventStore, position: number): Promise<Record<string, string>> => {
  const checkpoint = (await store.checkpointOf(position)) ?? START;
  return Object.fromEntries(ALL_PARTITIONS.map((partition) => [partition, checkpoint]));
};

/**
 * Appends every recorded evaluation the stream does not have yet, in order: after each evaluation's commit, and so
 * also the one a crash left between its commit and its append, which a rebuild's switch publishes too (RecordedWork
 * publish), or the rebuild would lose it. `config` stands in for the config of an evaluation recorded before they
 * were kept (the default rules when none is given).
 */
export async function publishEvaluations(client: PoolClient, store: EventStore, config: SegmentConfig = segmentConfig()): Promise<void> {
  const [last] = await store.readStream(SEGMENTS_SCHEDULE_STREAM, { direction: 'backward', limit: 1 });
  const after = last ? Number(last.data.evaluationId ?? last.data.throughEvaluationId) : 0;
  const { rows } = await client.query<{
    evaluation_id: string;
    as_of: string;
    trigger: EvaluationTrigger;
    config: SegmentConfig | null;
    facts_checkpoints: Record<string, string> | null;
    facts_position: string;
    started_at: string;
    finished_at: string;
    first_history_id: string | null;
    first_change_position: string | null;
  }>(
    `SELECT evaluation_id, ${isoInstantSql('as_of')} AS as_of, trigger, config, facts_checkpoints, facts_position, ${isoInstantSql('started_at')} AS started_at,
            ${isoInstantSql('finished_at')} AS finished_at, first_history_id, first_change_position
       FROM read_models.segment_evaluations WHERE evaluation_id > $1 ORDER BY evaluation_id`,
    [after],
  );
  for (const row of rows) {
    const data = {
      evaluationId: Number(row.evaluation_id),
      asOf: row.as_of,
      trigger: row.trigger,
      // An evaluation recorded before they were kept: the config of now, and its facts position, stand in.
      config: row.config ?? config,
      factsCheckpoints: row.facts_checkpoints ?? (await legacyCheckpoints(store, Number(row.facts_position))),
      factsPosition: Number(row.facts_position),
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      firstHistoryId: row.first_history_id === null ? null : Number(row.first_history_id),
      firstChangePosition: row.first_change_position === null ? null : Number(row.first_change_position),
    };
    await store.append(SEGMENTS_SCHEDULE_STREAM, [scheduleEvent(SEGMENTS_SCHEDULE_STREAM, 'SegmentsEvaluated', data.evaluationId, data, data.finishedAt)]);
  }
}
