import { translateMysqlError } from './mysql-errors';

const serverError = (errno: number, code: string) =>
  Object.assign(new Error(`server error ${errno}`), { errno, code, sqlMessage: `error ${errno}` });

describe('translateMysqlError', () => {
  it.each([
    [1406, 'ER_DATA_TOO_LONG'],
    [3819, 'ER_CHECK_CONSTRAINT_VIOLATED'],
    [1146, 'ER_NO_SUCH_TABLE'],
  ])('answers DATABASE_REJECTED (422) for data errors: %i %s', (errno, code) => {
    expect(translateMysqlError(serverError(errno, code)).code).toBe('DATABASE_REJECTED');
  });

  it.each([
    [1040, 'ER_CON_COUNT_ERROR'],
    [1053, 'ER_SERVER_SHUTDOWN'],
    [1317, 'ER_QUERY_INTERRUPTED'],
    [1927, 'ER_CONNECTION_KILLED'],
    [1927, ''],
    [2013, 'CR_SERVER_LOST'],
    [1213, 'ER_LOCK_DEADLOCK'],
    [1205, 'ER_LOCK_WAIT_TIMEOUT'],
  ])('answers DATABASE_UNAVAILABLE (503) while a server restarts: %i %s', (errno, code) => {
    expect(translateMysqlError(serverError(errno, code)).code).toBe('DATABASE_UNAVAILABLE');
  });

  it('answers DATABASE_UNAVAILABLE for connection errors without a server errno', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(translateMysqlError(refused).code).toBe('DATABASE_UNAVAILABLE');
  });
});
