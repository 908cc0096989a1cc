import { Counter, Gauge, Histogram, type Registry } from '@wail/telemetry';

/** The gateway's metrics; labels are bounded (delivery style, outcome), never a subscription id. */
export function gatewayMetrics(registry: Registry) {
  return {
    /** Registers the gauges once what they read exists. */
    observe(read: { subscriptions: () => number; streams: () => number }): void {
      new Gauge({
        name: 'wail_gateway_subscriptions',
        help: 'subscriptions the gateway keeps',
        registers: [registry],
        collect() {
          this.set(read.subscriptions());
        },
      });
      new Gauge({
        name: 'wail_gateway_active_streams',
        help: 'subscriptions being delivered now (open SSE and gRPC streams, running webhooks)',
        registers: [registry],
        collect() {
          this.set(read.streams());
        },
      });
    },
    delivered: new Counter({
      name: 'wail_gateway_changes_delivered_total',
      help: 'changes handed to subscribers (redeliveries included)',
      labelNames: ['delivery'],
      registers: [registry],
    }),
    deliveryDelay: new Histogram({
      name: 'wail_gateway_delivery_delay_seconds',
      help: 'from the event reaching its topic to its delivery to a subscriber',
      labelNames: ['delivery'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    rewinds: new Counter({
      name: 'wail_gateway_rewinds_total',
      help: 'streams rewound to their acknowledged cursor because no ack came in time',
      registers: [registry],
    }),
    undecodable: new Counter({
      name: 'wail_gateway_undecodable_events_total',
      help: 'event records skipped because their schema is unknown or their bytes do not decode',
      registers: [registry],
    }),
    webhookCalls: new Counter({
      name: 'wail_gateway_webhook_calls_total',
      help: 'webhook calls by outcome (ok, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'wail_gateway_dead_lettered_changes_total',
      help: 'webhook changes dead-lettered after every attempt failed',
      registers: [registry],
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;
