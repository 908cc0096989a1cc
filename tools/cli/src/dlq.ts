import { parseDeadLetter, readTopic, redrive, type DeadLetter } from '@wail/dead-letters';
import { KafkaClient, RecordProducer, type KafkaSecurity } from '@wail/kafka';
import { silentLogger } from '@wail/telemetry';

export interface DlqOptions {
  brokers: string[];
  /** TLS and SASL of the cluster (WAIL_KAFKA_TLS*, WAIL_KAFKA_SASL_*). */
  security?: KafkaSecurity | undefined;
  topic: string;
  say: (line: string) => void;
}

function summary(letter: DeadLetter): Record<string, unknown> {
  return {
    id: letter.id,
    code: letter.code,
    message: letter.message,
    attempts: letter.attempts,
    failedAt: letter.failedAt,
    origin: `${letter.origin.topic}/${letter.origin.partition}/${letter.origin.offset}`,
    intent: letter.intent ?? null,
  };
}

async function letters(kafka: KafkaClient, options: DlqOptions): Promise<DeadLetter[]> {
  return (await readTopic(kafka, options.topic, silentLogger())).map(parseDeadLetter);
}

/** `wail dlq list|inspect|redrive`: the dead-letter topic as JSON lines, one letter in full, or re-driven. */
export async function dlq(
  command: string,
  args: { code?: string | undefined; id?: string | undefined; all?: boolean | undefined },
  options: DlqOptions,
): Promise<number> {
  const kafka = new KafkaClient({
    brokers: options.brokers,
    security: options.security,
    clientId: 'wail-cli-dlq',
    logger: silentLogger(),
  });
  try {
    const all = await letters(kafka, options);
    const selected = all.filter(
      (letter) =>
        (args.code ? letter.code === args.code : true) && (args.id ? letter.id === args.id : true),
    );
    switch (command) {
      case 'list':
        for (const letter of selected) options.say(JSON.stringify(summary(letter)));
        options.say(`${selected.length} dead letter(s) in ${options.topic}`);
        return 0;
      case 'inspect': {
        if (!args.id) throw new Error('inspect needs --id <topic/partition/offset>');
        const letter = selected[0];
        if (!letter) throw new Error(`no dead letter ${args.id}`);
        options.say(
          JSON.stringify(
            {
              ...summary(letter),
              key: letter.record.key?.toString('base64') ?? null,
              value: letter.record.value?.toString('base64') ?? null,
              headers: Object.fromEntries(
                Object.entries(letter.record.headers).map(([name, value]) => [
                  name,
                  value.toString(),
                ]),
              ),
            },
            null,
            2,
          ),
        );
        return 0;
      }
      case 'redrive': {
        if (!args.id && !args.code && !args.all)
          throw new Error('redrive needs --id, --code or --all');
        const producer = new RecordProducer(kafka);
        try {
          const count = await redrive(producer, selected);
          options.say(`re-drove ${count} dead letter(s) to their intent topics`);
        } finally {
          await producer.close();
        }
        return 0;
      }
      default:
        throw new Error(`unknown dlq command "${command}" (list, inspect, redrive)`);
    }
  } finally {
    await kafka.close();
  }
}
