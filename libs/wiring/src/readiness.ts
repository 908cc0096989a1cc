import type { KafkaClient } from '@wail/kafka';
import { Readiness, type DependencyCheck } from '@wail/runtime';
import type { Logger } from '@wail/telemetry';

export function kafkaCheck(kafka: KafkaClient): DependencyCheck {
  return { name: 'kafka', check: () => kafka.ping() };
}

/** A service's `/readyz`: every dependency's check, outages logged by the `readiness` component. */
export function serviceReadiness(checks: readonly DependencyCheck[], logger: Logger): Readiness {
  return new Readiness(checks, { logger: logger.child({ component: 'readiness' }) });
}
