import { errors as driverErrors, types } from 'cassandra-driver';
import { WailError } from '@wail/errors';

const { responseErrorCodes } = types;

const UNAVAILABLE_RESPONSES = new Set<number>([
  responseErrorCodes.unavailableException,
  responseErrorCodes.overloaded,
  responseErrorCodes.isBootstrapping,
  responseErrorCodes.writeTimeout,
  responseErrorCodes.readTimeout,
  responseErrorCodes.readFailure,
  responseErrorCodes.writeFailure,
  responseErrorCodes.serverError,
  // A restarted node has forgotten prepared statements; the driver re-prepares.
  responseErrorCodes.unprepared,
]);

const hex = (code: number) => `0x${code.toString(16).padStart(4, '0')}`;
const IDENTIFIER = '"?(?<name>[A-Za-z0-9_]{1,48})"?';

/**
 * The invalid-request family (0x2200), by the rule broken. The server's
 * message may quote the value (`Invalid STRING constant (…) for "qty"`), so
 * only an identifier is taken from it; the decision to reject comes from the
 * response code alone.
 */
const INVALID_REQUESTS: readonly {
  rule: string;
  pattern: RegExp;
  describe(name?: string): string;
}[] = [
  {
    rule: 'empty_key',
    pattern: /^Key may not be empty$/,
    describe: () => 'the key may not be empty',
  },
  {
    rule: 'key_too_long',
    pattern: /^Key length of \d+ is longer than maximum of (?<max>\d+)$/,
    describe: () => 'the key is too long (max 65535 bytes)',
  },
  {
    rule: 'not_null',
    pattern: new RegExp(
      `^Invalid null value (?:in condition )?for (?:column|clustering key part|partition key part) ${IDENTIFIER}$`,
    ),
    describe: (name) => (name ? `column "${name}": cannot be null` : 'a key column cannot be null'),
  },
  {
    rule: 'unknown_column',
    pattern: new RegExp(`^Undefined column name ${IDENTIFIER}(?: in table \\S+)?$`),
    describe: (name) => (name ? `column "${name}": does not exist` : 'a column does not exist'),
  },
  {
    rule: 'wrong_value',
    pattern: new RegExp(`for ${IDENTIFIER} of type [A-Za-z0-9_<>, ]{1,60}$`),
    describe: (name) =>
      name ? `column "${name}": incorrect value for its type` : 'a value has the wrong type',
  },
  {
    rule: 'invalid_utf8',
    pattern: /^String didn't validate\.$/,
    describe: () => 'a text value is not valid UTF-8',
  },
  {
    rule: 'no_table',
    pattern: /^(?:table \S+ does not exist|unconfigured table \S+)$/,
    describe: () => 'the physical table does not exist',
  },
  {
    rule: 'no_keyspace',
    pattern: /^keyspace \S+ does not exist$/i,
    describe: () => 'the keyspace does not exist',
  },
];

function invalidRequest(error: driverErrors.ResponseError): WailError {
  for (const { rule, pattern, describe } of INVALID_REQUESTS) {
    const match = pattern.exec(error.message);
    if (!match) continue;
    const name = match.groups?.['name'];
    return new WailError('DATABASE_REJECTED', `Cassandra rejected the write: ${describe(name)}`, {
      cause: error,
      details: { code: error.code, rule, ...(name === undefined ? {} : { column: name }) },
    });
  }
  return rejected(error);
}

const rejected = (error: driverErrors.ResponseError) =>
  new WailError(
    'DATABASE_REJECTED',
    `the database rejected the write (Cassandra error ${hex(error.code)})`,
    { cause: error, details: { code: error.code } },
  );

/**
 * Driver errors → WAIL errors, from error classes and response codes only.
 * Messages never carry the server's or the driver's text (it quotes values
 * and addresses); that stays on `cause`, for the logs.
 */
export function translateCassandraError(error: unknown): WailError {
  if (error instanceof WailError) return error;
  if (
    error instanceof driverErrors.NoHostAvailableError ||
    error instanceof driverErrors.OperationTimedOutError
  ) {
    return new WailError(
      'DATABASE_UNAVAILABLE',
      `Cassandra is unavailable (${(error as Error).name})`,
      { cause: error },
    );
  }
  if (error instanceof driverErrors.ResponseError) {
    if (UNAVAILABLE_RESPONSES.has(error.code)) {
      return new WailError(
        'DATABASE_UNAVAILABLE',
        `Cassandra could not serve the request (error ${hex(error.code)})`,
        { cause: error },
      );
    }
    if (error.code === responseErrorCodes.invalid) return invalidRequest(error);
    return rejected(error);
  }
  if (error instanceof TypeError || error instanceof RangeError) {
    return new WailError(
      'DATABASE_REJECTED',
      'Cassandra rejected the write: a value could not be encoded for its column type',
      { cause: error, details: { rule: 'wrong_value' } },
    );
  }
  const name = error instanceof Error ? error.name : typeof error;
  return new WailError('DATABASE_UNAVAILABLE', `Cassandra call failed (${name})`, {
    cause: error,
  });
}
