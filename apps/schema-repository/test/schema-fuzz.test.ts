import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Type } from 'avsc';
import fc from 'fast-check';
import { readerWriterIncompatibilities, type Incompatibility } from '../src/avro/compatibility';
import {
  InvalidSchemaError,
  parseAvroSchema,
  SchemaBoundError,
  type ParsedSchema,
} from '../src/avro/parse';
import type { AvroType } from '../src/avro/schema-reader';
import { canonicalText } from '../src/avro/schema-text';
import {
  ADVERSARIAL,
  FUZZ_RUNS,
  adversarial,
  drawFrom,
  evolve,
  hostileText,
  mutate,
  plausibleSchema,
  type Draw,
} from './avro-arbitraries';
import { referenceCanonicalText } from './reference-canonical';
import { referenceIncompatibilities } from './reference-checker';
import type { TimingJob, TimingResult } from './schema-timing-worker';

/**
 * Random and adversarial schemas for the parser, the canonical form and the
 * compatibility checker. `WAIL_FUZZ_RUNS` sets the inputs per property (CI:
 * 100; the long run: `npm run fuzz:schemas`, 100,000).
 *
 * Every input is also parsed and checked, timed, in a worker thread (see
 * `schema-timing-worker.ts` for why not here): the target is 100 ms per
 * answer for schemas up to the 1 MiB body limit (an operation over it is
 * timed twice more, the fastest run counting); the assertion allows
 * `WAIL_FUZZ_TIME_MARGIN` (3) times that, as the machine running the tests is
 * shared. The slowest per kind of input are printed.
 */
const TARGET_MS = 100;
const LIMIT_MS = TARGET_MS * Number(process.env['WAIL_FUZZ_TIME_MARGIN'] ?? 3);

interface Timing {
  ms: number;
  what: string;
  size: number;
}

const slowest = new Map<string, Timing>();
let measured = 0;

function note(kind: string, what: string, ms: number, size: number): void {
  measured++;
  const known = slowest.get(kind);
  if (!known || ms > known.ms) slowest.set(kind, { ms, what, size });
}

/** The timing worker, and the answers it still owes. */
class Timer {
  private readonly worker = new Worker(
    `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'schema-timing-worker.ts'))});`,
    { eval: true },
  );
  private readonly waiting = new Map<
    number,
    { resolve: (result: TimingResult) => void; reject: (error: Error) => void }
  >();
  private next = 0;

  constructor() {
    this.worker.on('message', (result: TimingResult) => {
      this.waiting.get(result.id)?.resolve(result);
      this.waiting.delete(result.id);
    });
    // A worker that dies (a stack overflow would be a finding) fails what it owed.
    const fail = (error: Error) => {
      for (const { reject } of this.waiting.values()) reject(error);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the timing worker exited with ${code}`)));
  }

  time(job: Omit<TimingJob, 'id' | 'targetMs'>): Promise<TimingResult> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...job, id, targetMs: TARGET_MS });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** A text input that prints as its kind and size, not its megabyte of content. */
class Input {
  constructor(
    readonly kind: string,
    readonly text: string,
    readonly variant?: string,
  ) {}

  [fc.toStringMethod](): string {
    const head = this.text.length > 300 ? `${this.text.slice(0, 300)}…` : this.text;
    return `${this.kind} (${this.text.length} characters): ${head}`;
  }
}

/** A parse that may fail, but only with the parser's own error. */
function attempt(text: string): ParsedSchema | InvalidSchemaError {
  try {
    return parseAvroSchema(text);
  } catch (error) {
    if (error instanceof InvalidSchemaError) return error;
    throw error;
  }
}

/** Both directions; within the comparison bound, or refused by it. */
function checkBoth(a: ParsedSchema, b: ParsedSchema) {
  try {
    return [
      readerWriterIncompatibilities(a.model, b.model),
      readerWriterIncompatibilities(b.model, a.model),
    ];
  } catch (error) {
    if (error instanceof SchemaBoundError && error.bound === 'maxComparisons') return undefined;
    throw error;
  }
}

/** avsc's verdict on a schema, parsed the way the registry used to. */
function avscAccepts(text: string): boolean {
  try {
    Type.forSchema(JSON.parse(text) as never, { registry: {}, noAnonymousTypes: true });
    return true;
  } catch {
    return false;
  }
}

/** Names avsc looks up on `Object.prototype`: where the reader refuses what avsc lets through. */
const PROTOTYPE_NAMES = /"(?:constructor|__proto__|toString|valueOf|hasOwnProperty)"/;

/** A model as plain data, named types after their first appearance by name only. */
function plain(type: AvroType, seen = new Set<string>()): unknown {
  if ('name' in type) {
    if (seen.has(type.name)) return { ref: type.name };
    seen.add(type.name);
  }
  switch (type.typeName) {
    case 'record':
    case 'error':
      return {
        ...type,
        fields: type.fields.map((field) => ({
          name: field.name,
          aliases: field.aliases,
          default: field.defaultValue(),
          type: plain(field.type, seen),
        })),
      };
    case 'array':
      return { array: plain(type.itemsType, seen) };
    case 'map':
      return { map: plain(type.valuesType, seen) };
    case 'union:wrapped':
    case 'union:unwrapped':
      return { [type.typeName]: type.types.map((branch) => plain(branch, seen)) };
    default:
      return { ...type };
  }
}

const plausibleText = fc.gen().map((g) => JSON.stringify(plausibleSchema(drawFrom(g))));
const mutatedText = fc.gen().map((g) => {
  const draw = drawFrom(g);
  return JSON.stringify(mutate(draw, plausibleSchema(draw)));
});
const adversarialInput = adversarial.map(
  ({ shape, text, variant }) => new Input(shape, text, variant),
);
const anyText = fc.oneof(
  { arbitrary: plausibleText.map((text) => new Input('plausible', text)), weight: 3 },
  { arbitrary: mutatedText.map((text) => new Input('mutated', text)), weight: 3 },
  { arbitrary: hostileText.map((text) => new Input('hostile', text)), weight: 2 },
  { arbitrary: adversarialInput, weight: 1 },
);

/** Whether some enum lists a symbol that is not a string (avsc keys `["A"]` as `A`; the old checker compared them by identity). */
function oddSymbols(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(oddSymbols);
  if (value === null || typeof value !== 'object') return false;
  const object = value as Record<string, unknown>;
  const symbols = object['symbols'];
  if (Array.isArray(symbols) && symbols.some((symbol) => typeof symbol !== 'string')) return true;
  return Object.values(object).some(oddSymbols);
}

/** The distinct problems, without locations: the unmemoized checker reports a type reached along two paths twice. */
const summary = (problems: readonly Incompatibility[]) =>
  [...new Set(problems.map((p) => `${p.type} ${p.detail}`))].sort();

let timer: Timer;

beforeAll(async () => {
  timer = new Timer();
  // A running repository is warm: compile the hot paths before timing them.
  const warm = JSON.stringify({
    type: 'record',
    name: 'Warm',
    fields: Array.from({ length: 3000 }, (_, i) => ({
      name: `f${i}`,
      type: i % 6 ? 'int' : ['null', 'string', { type: 'record', name: `W${i}`, fields: [] }],
      default: i % 6 ? i : null,
    })),
  });
  for (let i = 0; i < 20; i++) await timer.time({ text: warm });
  const middling: Draw = {
    int: (min, max) => Math.floor((min + max) / 2),
    chance: () => false,
    pick: (items) => items[0]!,
  };
  for (const make of Object.values(ADVERSARIAL)) {
    const [text, variant] = make(middling);
    for (let i = 0; i < 3; i++) await timer.time({ text, variant });
  }
}, 120_000);

afterAll(async () => {
  await timer.close();
  const rows = [...slowest].map(
    ([property, { ms, what, size }]) =>
      `  ${ms.toFixed(1).padStart(7)} ms  ${property}: ${what} of ${size} characters`,
  );
  process.stdout.write(
    `\nschema fuzz: ${FUZZ_RUNS} inputs per property, ${measured} timed operations; slowest per kind of input (target ${TARGET_MS} ms, limit ${LIMIT_MS} ms):\n${rows.join('\n')}\n`,
  );
});

const params = { numRuns: FUZZ_RUNS };
/** Huge inputs: report the first failure as found; shrinking would re-run it hundreds of times. */
const large = { numRuns: FUZZ_RUNS, endOnFailure: true };
const LONG = Math.max(120_000, FUZZ_RUNS * 60);

describe('schema parser, canonical form and checker under random and adversarial input', () => {
  it(
    'parses any text to a schema or refuses it with InvalidSchemaError, never anything else',
    () => {
      fc.assert(
        fc.property(anyText, (input) => {
          attempt(input.text);
        }),
        large,
      );
    },
    LONG,
  );

  it(
    'accepts exactly the schemas avsc accepts (apart from its Object.prototype lookups)',
    () => {
      fc.assert(
        fc.property(fc.oneof(plausibleText, mutatedText), (text) => {
          const ours = attempt(text);
          if (ours instanceof SchemaBoundError) return;
          const theirs = avscAccepts(text);
          if (!(ours instanceof InvalidSchemaError)) {
            expect({ text, avscAccepts: theirs }).toEqual({ text, avscAccepts: true });
          } else if (theirs && !PROTOTYPE_NAMES.test(text)) {
            expect({ text, refused: ours.message }).toEqual({ text, refused: undefined });
          }
        }),
        params,
      );
    },
    LONG,
  );

  it(
    'gives a canonical form that is a fixed point and parses to the same schema',
    () => {
      fc.assert(
        fc.property(fc.oneof(plausibleText, mutatedText), (text) => {
          const parsed = attempt(text);
          if (parsed instanceof InvalidSchemaError) return;
          const { canonical } = parsed;
          expect(canonical).toBe(referenceCanonicalText(JSON.parse(text)));
          expect(canonicalText(JSON.parse(canonical))).toBe(canonical);
          const again = parseAvroSchema(canonical);
          expect(again.canonical).toBe(canonical);
          expect(again.fingerprint.equals(parsed.fingerprint)).toBe(true);
          expect(plain(again.model)).toEqual(plain(parsed.model));
          expect(checkBoth(parsed, again)).toEqual([[], []]);
        }),
        params,
      );
    },
    LONG,
  );

  it(
    'prints exactly the canonical text it always printed, for any JSON value',
    () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
          expect(canonicalText(value)).toBe(referenceCanonicalText(value));
        }),
        params,
      );
    },
    LONG,
  );

  it(
    'finds every valid schema compatible with itself',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            plausibleText.map((text) => new Input('plausible', text)),
            adversarialInput,
          ),
          ({ text }) => {
            const a = attempt(text);
            if (a instanceof InvalidSchemaError) return;
            const answer = checkBoth(a, parseAvroSchema(text));
            if (answer) expect(answer).toEqual([[], []]);
          },
        ),
        large,
      );
    },
    LONG,
  );

  it(
    'answers as the unmemoized checker did, on schemas small enough for it',
    () => {
      fc.assert(
        fc.property(fc.gen(), (g) => {
          const draw = drawFrom(g);
          const schema = plausibleSchema(draw, { sloppy: 0 });
          const texts = [JSON.stringify(schema), JSON.stringify(evolve(draw, schema))];
          const ours = texts.map(attempt);
          if (ours.some((parsed) => parsed instanceof InvalidSchemaError)) return;
          if (!texts.every(avscAccepts) || texts.some((text) => oddSymbols(JSON.parse(text)))) {
            return;
          }
          const [a, b] = ours as ParsedSchema[];
          const [ta, tb] = texts.map((text) =>
            Type.forSchema(JSON.parse(text) as never, { registry: {}, noAnonymousTypes: true }),
          );
          const answer = checkBoth(a!, b!);
          const reference = [
            referenceIncompatibilities(ta!, tb!),
            referenceIncompatibilities(tb!, ta!),
          ];
          expect(answer!.map((problems) => problems.length === 0)).toEqual(
            reference.map((problems) => problems.length === 0),
          );
          expect(answer!.map(summary)).toEqual(reference.map(summary));
        }),
        params,
      );
    },
    LONG,
  );

  it(
    'parses and checks every input within the time limit, in a plain Node context',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(anyText, adversarialInput), async ({ kind, text, variant }) => {
          const result = await timer.time(variant === undefined ? { text } : { text, variant });
          expect(result.outcomes.filter((outcome) => outcome.startsWith('unexpected'))).toEqual([]);
          result.parseMs.forEach((ms, i) => {
            note(
              kind,
              i === 0 ? 'parse' : 'parse of the variant',
              ms,
              i === 0 ? text.length : variant!.length,
            );
          });
          if (result.checkMs !== undefined) {
            note(
              kind,
              variant === undefined ? 'check against itself' : 'check against the variant',
              result.checkMs,
              text.length,
            );
          }
          for (const ms of [...result.parseMs, result.checkMs ?? 0])
            expect(ms).toBeLessThan(LIMIT_MS);
        }),
        large,
      );
    },
    LONG,
  );
});
