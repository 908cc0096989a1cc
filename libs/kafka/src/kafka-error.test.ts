import { KafkaError, isKafkaError, kafkaError } from './kafka-error';

describe('kafkaError', () => {
  it('names a size refusal of the broker too-large, along causes', () => {
    const refusal = Object.assign(new Error('The request included a message larger than the max'), {
      name: 'KafkaJSProtocolError',
      type: 'MESSAGE_TOO_LARGE',
    });
    const wrapped = new Error('retries exhausted', { cause: refusal });
    expect(kafkaError(wrapped)).toMatchObject({ name: 'KafkaError', failure: 'too-large' });
    expect(isKafkaError(kafkaError(refusal), 'too-large')).toBe(true);
  });

  it('names anything else unavailable, by its code and never its text (addresses)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:9092'), {
      code: 'ECONNREFUSED',
    });
    const error = kafkaError(refused);
    expect(error.failure).toBe('unavailable');
    expect(error.message).toBe('Kafka did not acknowledge (ECONNREFUSED)');
    expect(error.cause).toBe(refused);
    expect(kafkaError('text').message).toBe('Kafka did not acknowledge (string)');
  });

  it('keeps a KafkaError as it is', () => {
    const timeout = new KafkaError('timeout', 'Kafka did not acknowledge within 5 ms');
    expect(kafkaError(timeout)).toBe(timeout);
    expect(isKafkaError(timeout)).toBe(true);
    expect(isKafkaError(timeout, 'unavailable')).toBe(false);
    expect(isKafkaError(new Error('x'))).toBe(false);
  });
});
