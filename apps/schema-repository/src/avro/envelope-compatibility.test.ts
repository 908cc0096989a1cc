import { Type, type Schema } from 'avsc';
import { envelopeSchemas } from '@wail/contracts';
import { checkCompatibility, type CompatibilityLevel } from './compatibility';

const record = {
  type: 'record',
  name: 'Customer',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
  ],
};
const { valueSchema } = envelopeSchemas(record, [{ name: 'id', type: 'long' }]);
const fields = valueSchema['fields'] as unknown[];
// The envelope as registered before claim checks: the same fields, without the last.
const beforeClaimChecks = { ...valueSchema, fields: fields.slice(0, -1) };

describe('the envelope with claimCheck against the envelope registered before it', () => {
  it.each<CompatibilityLevel>(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FULL'])(
    'registers a new model version at %s',
    (level) => {
      const failures = checkCompatibility(level, Type.forSchema(valueSchema as Schema), [
        { version: 1, type: Type.forSchema(beforeClaimChecks as Schema) },
      ]);
      expect(failures).toEqual([]);
    },
  );
});
