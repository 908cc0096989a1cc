import fc from 'fast-check';
import { topicNameProblem } from '@wail/contracts';
import { parseAvroSchema } from '../src/avro/parse';
import { parseTableRoute, type TableRoute } from '../src/control-plane/table-route';
import {
  DEFAULT_TOPIC_POLICY,
  eventTopicProblems,
  intentTopicProblems,
} from '../src/control-plane/topic-policy';
import { validateModel, validateRoute } from '../src/control-plane/validation';
import { knownErrorAnswer } from '../src/http/registry-errors';
import { fuzzRuns, modelBody, routeBody, tableName } from './control-plane-arbitraries';

/**
 * The control plane's validation under random and hostile bodies, in-process
 * (the HTTP suite sends fewer through the real service): every body is
 * accepted or refused with a 4xx that names the rule — never another
 * exception — and what is accepted validates again to itself.
 * `WAIL_FUZZ_RUNS=100000` for the long run.
 */
const ROUTE_RUNS = fuzzRuns(2000);
const MODEL_RUNS = fuzzRuns(1000);
/** Generous: a long run on a busy machine. */
const TIMEOUT_MS = Math.max(60_000, (ROUTE_RUNS + MODEL_RUNS) * 20);
const ROUTE_RULE =
  /"(store|keyspace|database|physicalTable|keyColumns|intentTopic|failureMode|visibilityWindowMs|wail_ts)"|key column|unknown field|table name|the body/;

function refusal(error: unknown, code: number, prefix: string): void {
  const answer = knownErrorAnswer(error);
  if (!answer) throw error;
  expect(answer.errorCode).toBe(code);
  expect(answer.status).toBe(422);
  expect(answer.message.startsWith(prefix)).toBe(true);
  expect(answer.message.length).toBeGreaterThan(prefix.length + 3);
}

const counts = { routes: { accepted: 0, refused: 0 }, models: { accepted: 0, refused: 0 } };
afterAll(() => {
  process.stdout.write(
    `control-plane fuzz (${ROUTE_RUNS} routes, ${MODEL_RUNS} models): ${JSON.stringify(counts)}\n`,
  );
});

describe('route validation under random and hostile bodies', () => {
  it(
    'accepts a route or refuses it with 42241 naming the rule; an accepted route validates again to itself',
    () => {
      fc.assert(
        fc.property(tableName, routeBody, (table, body) => {
          let route: TableRoute;
          try {
            route = validateRoute(table, body, DEFAULT_TOPIC_POLICY);
          } catch (error) {
            refusal(error, 42241, 'Invalid table route: ');
            expect((error as Error).message).toMatch(ROUTE_RULE);
            counts.routes.refused++;
            return;
          }
          counts.routes.accepted++;
          const again = validateRoute(
            table,
            JSON.parse(JSON.stringify(route)),
            DEFAULT_TOPIC_POLICY,
          );
          expect(again).toEqual(route);
          expect(JSON.stringify(again)).toBe(JSON.stringify(route));
          expect(intentTopicProblems(route.intentTopic, DEFAULT_TOPIC_POLICY)).toEqual([]);
          expect(['mysql', 'cassandra']).toContain(route.store);
        }),
        { numRuns: ROUTE_RUNS },
      );
    },
    TIMEOUT_MS,
  );
});

describe('model validation under random and hostile bodies', () => {
  const routes = {
    customers: parseTableRoute('customers', {
      store: 'mysql',
      database: 'shop',
      keyColumns: ['id'],
      intentTopic: 'wail.intents.shop',
    }),
    orders: parseTableRoute('orders', {
      store: 'cassandra',
      keyspace: 'shop',
      keyColumns: ['customer_id', 'order_id'],
    }),
  };

  it(
    'accepts a model or refuses it with 42242; an accepted one yields valid Avro and validates again to itself',
    () => {
      fc.assert(
        fc.property(fc.constantFrom('customers', 'orders'), modelBody, (table, body) => {
          const route = routes[table as keyof typeof routes];
          let model: ReturnType<typeof validateModel>;
          try {
            model = validateModel(table, route, body, DEFAULT_TOPIC_POLICY);
          } catch (error) {
            refusal(error, 42242, 'Invalid data model: ');
            counts.models.refused++;
            return;
          }
          counts.models.accepted++;
          expect(topicNameProblem(model.eventTopic)).toBeUndefined();
          expect(eventTopicProblems(model.eventTopic, DEFAULT_TOPIC_POLICY)).toEqual([]);
          expect(() => parseAvroSchema(JSON.stringify(model.keySchema))).not.toThrow();
          expect(() => parseAvroSchema(JSON.stringify(model.valueSchema))).not.toThrow();
          const again = validateModel(
            table,
            route,
            { schema: model.canonical, eventTopic: model.eventTopic },
            DEFAULT_TOPIC_POLICY,
          );
          expect(again.canonical).toBe(model.canonical);
          expect(again.keySchema).toEqual(model.keySchema);
        }),
        { numRuns: MODEL_RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it('takes a dotted record name over a namespace attribute, as Avro does (found by this suite)', () => {
    const model = validateModel(
      'customers',
      routes.customers,
      {
        schema: {
          type: 'record',
          name: 'shop.Row',
          namespace: '\u0000',
          fields: [{ name: 'id', type: 'long' }],
        },
      },
      DEFAULT_TOPIC_POLICY,
    );
    expect(model.keySchema).toMatchObject({ name: 'shop.RowKey' });
    expect(() => parseAvroSchema(JSON.stringify(model.keySchema))).not.toThrow();
  });
});
