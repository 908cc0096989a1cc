import { controlPlaneErrors } from '../control-plane/errors';
import { registryErrors } from '../registry/errors';
import { httpErrors, knownErrorAnswer, storageErrorAnswer } from './registry-errors';

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

describe('knownErrorAnswer', () => {
  it("gives a domain error its Confluent code and keeps the domain's message", () => {
    const answers = [
      registryErrors.subjectNotFound('payments-value'),
      registryErrors.incompatible('payments-value', ['a reason']),
      controlPlaneErrors.topicConflict('a rule'),
      controlPlaneErrors.invalidModel('a problem'),
    ].map((error) => knownErrorAnswer(error));
    expect(answers.map((answer) => [answer?.status, answer?.toJSON()])).toEqual([
      [404, { error_code: 40401, message: "Subject 'payments-value' not found." }],
      [
        409,
        {
          error_code: 409,
          message:
            'Schema being registered is incompatible with an earlier schema for subject "payments-value", details: [a reason]',
        },
      ],
      [409, { error_code: 40941, message: 'Topic conflict: a rule' }],
      [422, { error_code: 42242, message: 'Invalid data model: a problem' }],
    ]);
  });

  it("answers the HTTP layer's own refusals as they are, and nothing else", () => {
    const notAcceptable = httpErrors.notAcceptable();
    expect(knownErrorAnswer(notAcceptable)).toBe(notAcceptable);
    expect(knownErrorAnswer(new Error('Subject not found'))).toBeUndefined();
  });
});
