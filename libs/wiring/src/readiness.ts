import { DEFAULT_CLUSTER } from '@wail/contracts';
import type { KafkaClient } from '@wail/kafka';
import { Readiness, type DependencyCheck } from '@wail/runtime';
import type { Logger } from '@wail/telemetry';

/** The `main` cluster's check is `kafka`; another cluster's is `kafka:<name>`. */
export function kafkaCheck(kafka: KafkaClient, cluster = DEFAULT_CLUSTER): DependencyCheck {
  return {
    name: cluster === DEFAULT_CLUSTER ? 'kafka' : `kafka:${cluster}`,
    check: () => kafka.ping(),
  };
}

/** A service's `/readyz`: every dependency's check, outages logged by the `readiness` component. */
export function serviceReadiness(checks: readonly DependencyCheck[], logger: Logger): Readiness {
  return new Readiness(checks, { logger: logger.child({ component: 'readiness' }) });
}
