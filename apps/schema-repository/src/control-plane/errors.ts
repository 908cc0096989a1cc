/**
 * What the control plane refuses, by stable name; the HTTP layer gives each
 * name its `error_code` (`http/registry-errors.ts`, WAIL's own 4044x, 4094x
 * and 4224x codes).
 */
export type ControlPlaneErrorCode =
  | 'TABLE_NOT_FOUND'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_VERSION_NOT_FOUND'
  | 'TOPIC_CONFLICT'
  | 'KEY_PREFIX_CONFLICT'
  | 'MOVE_IN_PROGRESS'
  | 'INVALID_ROUTE'
  | 'INVALID_MODEL'
  | 'BACKFILL_NOT_FOUND'
  | 'BACKFILL_RUNNING'
  | 'INVALID_BACKFILL';

/** A running backfill that has not written its checkpoint for this long may be taken over. */
export const BACKFILL_STALE_MS = 30_000;

export class ControlPlaneError extends Error {
  override readonly name = 'ControlPlaneError';

  constructor(
    readonly code: ControlPlaneErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const controlPlaneErrors = {
  tableNotFound: (table: string) =>
    new ControlPlaneError('TABLE_NOT_FOUND', `Table '${table}' has no route.`),
  modelNotFound: (table: string) =>
    new ControlPlaneError('MODEL_NOT_FOUND', `Table '${table}' has no data model.`),
  modelVersionNotFound: (table: string, version: number | string) =>
    new ControlPlaneError(
      'MODEL_VERSION_NOT_FOUND',
      `Data model version ${version} of table '${table}' not found.`,
    ),
  topicConflict: (detail: string) =>
    new ControlPlaneError('TOPIC_CONFLICT', `Topic conflict: ${detail}`),
  keyPrefixConflict: (detail: string) =>
    new ControlPlaneError('KEY_PREFIX_CONFLICT', `Key prefix conflict: ${detail}`),
  moveInProgress: (detail: string) =>
    new ControlPlaneError('MOVE_IN_PROGRESS', `Move in progress: ${detail}`),
  invalidRoute: (detail: string) =>
    new ControlPlaneError('INVALID_ROUTE', `Invalid table route: ${detail}`),
  invalidModel: (detail: string) =>
    new ControlPlaneError('INVALID_MODEL', `Invalid data model: ${detail}`),
  invalidBackfill: (detail: string) =>
    new ControlPlaneError('INVALID_BACKFILL', `Invalid backfill checkpoint: ${detail}`),
  backfillNotFound: (table: string) =>
    new ControlPlaneError('BACKFILL_NOT_FOUND', `Table '${table}' has no backfill checkpoint.`),
  backfillRunning: (table: string, runId: string, ageMs: number) =>
    new ControlPlaneError(
      'BACKFILL_RUNNING',
      `A backfill of '${table}' (run ${runId}) wrote its checkpoint ${Math.round(ageMs / 1000)} s ago and may still run; resume it once it stopped (after ${BACKFILL_STALE_MS / 1000} s without a checkpoint), or force it.`,
    ),
} as const;
