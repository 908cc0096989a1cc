import { intentIdToString, keyScalarToJson, type Intent, type IntentOp } from '@wail/intent';

/**
 * An intent as JSON, for people and tools: the unmaterialized-intents record
 * carries it, `wail dlq` shows it. 64-bit values are strings (timestamps) or,
 * for key values, numbers within ±2^53 and strings beyond; binary key values
 * are base64. The written columns, when recorded, are not part of the view.
 */
export interface IntentJson {
  intentId: string;
  table: string;
  op: IntentOp;
  key: Record<string, string | number | boolean | null>;
  ts: string;
  proxyId: string;
}

export function intentJson(intent: Intent): IntentJson {
  return {
    intentId: intentIdToString(intent.intentId),
    table: intent.table,
    op: intent.op,
    key: Object.fromEntries(
      intent.key.map((column) => [column.name, keyScalarToJson(column.value)]),
    ),
    ts: intent.ts.toString(),
    proxyId: intent.proxyId,
  };
}
