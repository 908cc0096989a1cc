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
  | 'INVALID_MODEL';

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
} as const;
