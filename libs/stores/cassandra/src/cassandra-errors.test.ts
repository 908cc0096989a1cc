import { errors as driverErrors, types } from 'cassandra-driver';
import { translateCassandraError } from './cassandra-errors';

const { responseErrorCodes } = types;
const VALUE = 'valuecanary-3b7d';
const KEYSPACE = 'shop_5e2a';
const invalid = (message: string) =>
  new driverErrors.ResponseError(responseErrorCodes.invalid, message);

describe('translateCassandraError', () => {
  it.each([
    ['Key may not be empty', 'the key may not be empty', undefined],
    [
      'Key length of 70000 is longer than maximum of 65535',
      'the key is too long (max 65535 bytes)',
      undefined,
    ],
    ['Invalid null value in condition for column id', 'column "id": cannot be null', 'id'],
    ['Invalid null value for clustering key part c', 'column "c": cannot be null', 'c'],
    [
      `Invalid STRING constant (${VALUE}) for "qty" of type int`,
      'column "qty": incorrect value for its type',
      'qty',
    ],
    [`Undefined column name nope in table ${KEYSPACE}.t`, 'column "nope": does not exist', 'nope'],
    ["String didn't validate.", 'a text value is not valid UTF-8', undefined],
    ['table nope does not exist', 'the physical table does not exist', undefined],
    [`unconfigured table ${KEYSPACE}.nope`, 'the physical table does not exist', undefined],
    [`keyspace ${KEYSPACE} does not exist`, 'the keyspace does not exist', undefined],
  ])('answers DATABASE_REJECTED naming the rule for "%s"', (message, expected, column) => {
    const error = translateCassandraError(invalid(message));
    expect(error.code).toBe('DATABASE_REJECTED');
    expect(error.message).toBe(`Cassandra rejected the write: ${expected}`);
    expect(error.details?.['column']).toBe(column);
    const answer = JSON.stringify({ message: error.message, details: error.details });
    expect(answer).not.toContain(VALUE);
    expect(answer).not.toContain(KEYSPACE);
  });

  it('answers another invalid request, or another refusal, with its code only', () => {
    expect(translateCassandraError(invalid(`something new about ${VALUE}`)).message).toBe(
      'the database rejected the write (Cassandra error 0x2200)',
    );
    const unauthorized = new driverErrors.ResponseError(
      responseErrorCodes.unauthorized,
      `User app has no MODIFY permission on <table ${KEYSPACE}.t>`,
    );
    expect(translateCassandraError(unauthorized)).toMatchObject({
      code: 'DATABASE_REJECTED',
      message: 'the database rejected the write (Cassandra error 0x2100)',
    });
  });

  it('never repeats the value a driver failed to encode', () => {
    const error = translateCassandraError(new TypeError(`Expected Number, obtained '${VALUE}'`));
    expect(error.code).toBe('DATABASE_REJECTED');
    expect(error.message).not.toContain(VALUE);
  });

  it('answers DATABASE_UNAVAILABLE without the driver text while the cluster is away', () => {
    const noHost = new driverErrors.NoHostAvailableError({ '10.0.0.7:9042': new Error('refused') });
    expect(translateCassandraError(noHost)).toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
      message: 'Cassandra is unavailable (NoHostAvailableError)',
    });
    const overloaded = new driverErrors.ResponseError(
      responseErrorCodes.writeTimeout,
      'Operation timed out - received only 0 responses from 10.0.0.7',
    );
    expect(translateCassandraError(overloaded)).toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
      message: 'Cassandra could not serve the request (error 0x1100)',
    });
  });
});
