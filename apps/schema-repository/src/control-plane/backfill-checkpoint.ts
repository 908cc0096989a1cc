import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { SCAN_OPERATORS } from '@wail/store';
import { controlPlaneErrors as errors } from './errors';

const count = Type.Integer({ minimum: 0 });
const instant = Type.String({
  maxLength: 40,
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'ISO 8601',
});

/** A backfill run's checkpoint as the CLI sends it; every field bounded. */
export const BackfillCheckpointBody = Type.Object(
  {
    runId: Type.String({
      pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
      description: 'the run (a UUID): another run may take over only once this one is stale',
    }),
    status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
    cursor: Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()], {
      description: "the store's opaque scan cursor; null: from the start, or done",
    }),
    where: Type.Array(
      Type.Object(
        {
          column: Type.String({ minLength: 1, maxLength: 64 }),
          op: Type.Union(SCAN_OPERATORS.map((op) => Type.Literal(op))),
          value: Type.Union([
            Type.String({ maxLength: 1024 }),
            Type.Number(),
            Type.Boolean(),
            Type.Null(),
          ]),
        },
        { additionalProperties: false },
      ),
      { maxItems: 16, description: 'the column conditions the run scans with' },
    ),
    ratePerSecond: Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 1e9 }), Type.Null()], {
      description: 'refresh intents per second at most; null: unthrottled',
    }),
    chunkSize: Type.Integer({ minimum: 1, maximum: 10_000 }),
    rowsScanned: count,
    refreshesAppended: count,
    chunksDone: count,
    estimatedRows: Type.Union([count, Type.Null()], {
      description: 'rows the table held when the run started, when the store could say',
    }),
    startedAt: instant,
    finishedAt: Type.Union([instant, Type.Null()]),
    error: Type.Union([Type.String({ maxLength: 2048 }), Type.Null()]),
  },
  { additionalProperties: false },
);

export type BackfillCheckpointInput = Static<typeof BackfillCheckpointBody>;

/** As stored and read back: with the time the repository wrote it. */
export const StoredBackfillCheckpoint = Type.Composite([
  BackfillCheckpointBody,
  Type.Object({ updatedAt: instant }),
]);

export type BackfillCheckpoint = Static<typeof StoredBackfillCheckpoint>;

const checker = TypeCompiler.Compile(BackfillCheckpointBody);

/** The body as a checkpoint, or INVALID_BACKFILL naming (at most five of) its problems. */
export function validateCheckpoint(body: unknown): BackfillCheckpointInput {
  if (checker.Check(body)) return body;
  const problems = [...checker.Errors(body)]
    .slice(0, 5)
    .map((error) => `${error.path || '/'}: ${error.message}`);
  throw errors.invalidBackfill(problems.join('; '));
}
