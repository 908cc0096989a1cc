import { storageErrorAnswer } from './registry-errors';

const VALUE = 'valuecanary-0d4e';

describe('storageErrorAnswer', () => {
  it('answers a write MySQL refused with 422 naming the column and the rule, not the SQL text', () => {
    const tooLong = Object.assign(new Error("Data too long for column 'name' at row 1"), {
      errno: 1406,
      code: 'ER_DATA_TOO_LONG',
      sqlMessage: "Data too long for column 'name' at row 1",
      sql: `INSERT IGNORE INTO schema_references VALUES ('${VALUE}')`,
    });
    const answer = storageErrorAnswer(tooLong);
    expect(answer.status).toBe(422);
    expect(answer.toJSON()).toEqual({
      error_code: 422,
      message: 'MySQL rejected the write: column "name": value too long',
    });
  });

  it('answers anything else with the generic store error, never its text', () => {
    const refused = Object.assign(new Error(`connect ECONNREFUSED ${VALUE}`), {
      code: 'ECONNREFUSED',
    });
    for (const error of [refused, new Error(VALUE), { errno: 2013, message: VALUE }]) {
      const answer = storageErrorAnswer(error);
      expect(answer.status).toBe(500);
      expect(JSON.stringify(answer.toJSON())).toBe(
        '{"error_code":50001,"message":"Error in the backend data store"}',
      );
    }
  });
});
