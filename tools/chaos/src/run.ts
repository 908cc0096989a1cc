import { mkdirSync } from 'node:fs';
import { uniqueName } from '@wail/testing';
import { Cluster, type Delivery } from './cluster';
import { FAULTS, inject, unavailable, type Fault } from './faults';
import { HostileClients, SEEDED_MEMBERS } from './hostile';
import {
  readDeadLetters,
  readEvents,
  readFinalRows,
  readIntents,
  readUnmaterialized,
} from './observe';
import { subscriberMismatches, Subscribers, type SubscriberStats } from './subscribers';
import { CHECKS, verify, type Check, type ObservedEvent, type Violation } from './verify';
import { Workload, seeded } from './workload';

export interface ChaosConfig {
  delivery: Delivery;
  durationS: number;
  faults: readonly Fault[];
  /** Pause between two faults, drawn from [min, max] seconds. */
  faultGapS: readonly [number, number];
  /**
   * Faults injected at the least: on a slow machine a fault (a restart, a
   * rebalance) takes longer, and the workload runs on past `durationS` until
   * this many have been injected, so a run always proves what it claims.
   */
  minFaults: number;
  writers: number;
  /** Mutations per request (1: single-mutation endpoint; more: the batch endpoint). */
  batch: number;
  /** Writers of hot-key batches (`contentionBatch` mutations each), beside the others. */
  contentionWriters: number;
  contentionBatch: number;
  /** Misbehaving clients beside the workload (0: none); see hostile.ts. */
  hostileClients: number;
  /** Seconds of workload (and hostile clients) before the first fault: no 5xx allowed then. */
  calmS: number;
  seed: number;
  visibilityWindowMs: number;
  quiesceTimeoutS: number;
  /** Service logs go here, one file per process (kept for a failed run). */
  logDir: string | undefined;
  say: (line: string) => void;
}

export const PROFILES = {
  short: {
    durationS: 45,
    // Every fault but a Cassandra restart, which alone takes half a minute.
    faults: FAULTS.filter((fault) => fault !== 'cassandra-restart'),
    faultGapS: [1, 3],
    minFaults: 3,
    writers: 8,
    batch: 1,
    contentionWriters: 2,
    contentionBatch: 25,
    hostileClients: 2,
    calmS: 8,
  },
  long: {
    durationS: 480,
    faults: FAULTS,
    faultGapS: [2, 5],
    minFaults: 10,
    writers: 12,
    batch: 5,
    contentionWriters: 2,
    contentionBatch: 25,
    hostileClients: 3,
    calmS: 30,
  },
} as const satisfies Record<string, Partial<ChaosConfig>>;

export interface InjectedFault {
  fault: Fault;
  atS: number;
  detail: string;
}

export interface ChaosReport {
  config: Omit<ChaosConfig, 'say'>;
  name: string;
  sent: number;
  acked: number;
  failed: Record<string, number>;
  faults: InjectedFault[];
  skipped: string[];
  unexpectedExits: string[];
  /** Faults the system did not recover from in time (a service that did not get ready again, say). */
  faultErrors: string[];
  intents: number;
  events: number;
  duplicates: number;
  unmaterialized: number;
  deadLetters: number;
  /** Dead letters of the hostile clients' tables (rows too large for an event), by code. */
  hostileDeadLetters: Record<string, number>;
  /** The hostile clients' requests and their answers (`<kind> <status>` → count). */
  hostile: { sent: number; answers: Record<string, number> };
  /** The event gateway's subscribers: what each received, how often it reconnected. */
  subscribers: SubscriberStats[];
  violations: Record<Check | 'not-quiescent' | 'not-recovered' | 'subscriber-final-state', number>;
  examples: (Violation | { check: 'subscriber-final-state'; detail: string })[];
}

const SUBSCRIBER_CHECK =
  "a gateway subscriber's last change of a key is not the key's last event (or never came)";

/** One chaos run: workload + faults for the duration, quiescence, then every check over everything observed. */
export async function runChaos(config: ChaosConfig): Promise<ChaosReport> {
  const say = config.say;
  const random = seeded(config.seed);
  const name = uniqueName('wail_chaos');
  if (config.logDir) mkdirSync(config.logDir, { recursive: true });
  const cluster = new Cluster({
    name,
    delivery: config.delivery,
    visibilityWindowMs: config.visibilityWindowMs,
    logDir: config.logDir,
  });
  const skipped: string[] = [];
  const faults = config.faults.filter((fault) => {
    const reason = unavailable(fault);
    if (reason) skipped.push(`${fault}: ${reason}`);
    return !reason;
  });
  const injected: InjectedFault[] = [];
  const unexpectedExits: string[] = [];
  const faultErrors: string[] = [];
  let subscribers: Subscribers | undefined;
  try {
    say(`chaos ${name}: ${config.delivery}, ${config.durationS} s, seed ${config.seed}`);
    await cluster.create();
    let calm = true;
    const hostile = new HostileClients({
      writers: config.hostileClients,
      random,
      proxies: () => cluster.proxies,
      requestTimeoutMs: 10_000,
      calm: () => calm,
    });
    const workload = new Workload({
      contentionWriters: config.contentionWriters,
      contentionBatch: config.contentionBatch,
      calm: () => calm,
      writers: config.writers,
      hotKeys: 10,
      coldKeys: 1000,
      hotShare: 0.5,
      random,
      proxies: () => cluster.proxies,
      requestTimeoutMs: 10_000,
      batch: config.batch,
    });
    const started = Date.now();
    const elapsedS = () => (Date.now() - started) / 1000;
    subscribers = new Subscribers({
      tables: Object.keys(cluster.eventTopics),
      gatewayUrl: () => cluster.gatewayUrl,
      random,
      refuseShare: 0.1,
    });
    await subscribers.start();
    workload.start();
    hostile.start();

    // Faults one after another, cycling through a shuffled list so every kind is hit.
    let deck: Fault[] = [];
    await new Promise((resolve) => setTimeout(resolve, Math.max(2, config.calmS) * 1000));
    calm = false;
    const owed = () => injected.length < config.minFaults;
    while (faults.length > 0 && (elapsedS() < config.durationS || owed())) {
      if (deck.length === 0) deck = shuffle([...faults], random);
      const fault = deck.pop()!;
      const atS = elapsedS();
      let detail: string;
      try {
        detail = await inject(fault, { cluster, random, say });
      } catch (error) {
        // The system did not come back from the fault: a finding, reported; the run goes on.
        detail = `FAILED: ${(error as Error).message.split('\n')[0]}`;
        faultErrors.push(`${fault} at ${atS.toFixed(1)} s: ${detail}`);
        await cluster.heal().catch(() => undefined);
      }
      injected.push({ fault, atS, detail });
      say(`  ${atS.toFixed(1).padStart(6)} s  ${fault.padEnd(17)} ${detail}`);
      for (const member of cluster.exited()) {
        if (member === 'consumer-3') continue;
        unexpectedExits.push(`${member} at ${elapsedS().toFixed(1)} s`);
        say(`  ${member} exited on its own; restarting it`);
        await cluster.start(member);
      }
      const [min, max] = config.faultGapS;
      const gap = (min + random() * (max - min)) * 1000;
      const left = config.durationS * 1000 - (Date.now() - started);
      const wait = owed() ? gap : Math.max(0, Math.min(gap, left));
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const remaining = config.durationS * 1000 - (Date.now() - started);
    if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
    await workload.stop();
    await hostile.stop();
    for (const member of cluster.exited())
      if (member !== 'consumer-3') unexpectedExits.push(`${member} (found at the end)`);
    await cluster.heal();
    say(
      `workload stopped after ${elapsedS().toFixed(0)} s: ${workload.stats.acked} of ${workload.stats.sent} writes acknowledged; waiting for quiescence`,
    );

    let quiescent = true;
    try {
      await cluster.quiesce(config.quiesceTimeoutS * 1000);
    } catch (error) {
      quiescent = false;
      say(`not quiescent: ${(error as Error).message}; lag ${await cluster.lag()}`);
    }
    const [intents, events, unmaterialized, deadLetters, finalRows] = [
      await readIntents(cluster),
      await readEvents(cluster),
      await readUnmaterialized(cluster),
      await readDeadLetters(cluster),
      await readFinalRows(cluster, name),
    ];
    // Only rows too large for an event may end on the dead-letter topic, and
    // only those of the hostile clients' h_rows table; any other is a finding.
    const expected = (letter: { table: string | undefined; code: string | undefined }) =>
      letter.table === 'h_rows' && letter.code === 'EVENT_TOO_LARGE';
    const hostileDeadLetters: Record<string, number> = {};
    for (const letter of deadLetters.filter(expected)) {
      const code = letter.code ?? 'unknown';
      hostileDeadLetters[code] = (hostileDeadLetters[code] ?? 0) + 1;
    }
    const verdict = verify({
      writes: workload.writes,
      intents,
      events,
      unmaterialized,
      deadLetters: deadLetters.filter((letter) => !expected(letter)).length,
      finalRows,
      exactlyOnce: config.delivery === 'exactly-once',
      hostile: {
        accepted: hostile.stats.accepted,
        calm5xx: [...workload.stats.calm5xx, ...hostile.stats.calm5xx],
        membersSeeded: SEEDED_MEMBERS,
        membersLeft: await cluster.membersLeft(),
      },
    });
    // Every subscriber must end with each key's last event: the gateway may lag behind the topics.
    const finals = finalEvents(events);
    let mismatches: string[] = [];
    await waitUntil(120_000, () => {
      mismatches = [
        ...subscriberMismatches(finals, subscribers!.sse).map((m) => `sse ${m}`),
        ...subscriberMismatches(finals, subscribers!.webhook).map((m) => `webhook ${m}`),
      ];
      return mismatches.length === 0;
    });
    await subscribers.stop();
    const bad = subscribers.stats.webhook.badSignatures;
    if (bad > 0) mismatches.push(`webhook: ${bad} calls whose signature did not verify`);
    const { say: _say, ...printable } = config;
    return {
      config: printable,
      name,
      sent: workload.stats.sent,
      acked: workload.stats.acked,
      failed: Object.fromEntries(workload.stats.failed),
      faults: injected,
      skipped,
      unexpectedExits,
      faultErrors,
      intents: intents.length,
      events: events.length,
      duplicates: verdict.duplicates,
      unmaterialized: unmaterialized.length,
      deadLetters: deadLetters.length,
      hostileDeadLetters,
      hostile: { sent: hostile.stats.sent, answers: Object.fromEntries(hostile.stats.answers) },
      subscribers: [subscribers.stats.sse, subscribers.stats.webhook],
      violations: {
        ...verdict.counts,
        'subscriber-final-state': mismatches.length,
        'not-quiescent': quiescent ? 0 : 1,
        'not-recovered': faultErrors.length,
      },
      examples: [
        ...verdict.violations,
        ...mismatches.map((detail) => ({ check: 'subscriber-final-state' as const, detail })),
      ].slice(0, 20),
    };
  } finally {
    await subscribers?.stop();
    await cluster.close();
    await cluster.destroy();
  }
}

export function violationCount(report: ChaosReport): number {
  return Object.values(report.violations).reduce((sum, n) => sum + n, 0);
}

/** The report as a Markdown table (what the CLI prints and appends to the results file). */
export function formatReport(report: ChaosReport): string {
  const faultCounts = new Map<string, number>();
  for (const { fault } of report.faults) faultCounts.set(fault, (faultCounts.get(fault) ?? 0) + 1);
  const failed = Object.entries(report.failed)
    .map(([outcome, n]) => `${outcome}: ${n}`)
    .join(', ');
  const rows: [string, string][] = [
    ['delivery', report.config.delivery],
    [
      'duration',
      `${report.config.durationS} s (first ${report.config.calmS} s without faults), seed ${report.config.seed}, ${report.config.writers} writers × ${report.config.batch} mutations per request, ${report.config.contentionWriters} hot-key writers × ${report.config.contentionBatch}`,
    ],
    ['writes sent', String(report.sent)],
    ['writes acknowledged', String(report.acked)],
    ['writes not acknowledged', failed || '0'],
    [
      'faults injected',
      `${report.faults.length} (${[...faultCounts].map(([f, n]) => `${f} ${n}`).join(', ')})`,
    ],
    ['intents', String(report.intents)],
    ['events', String(report.events)],
    ['duplicates', String(report.duplicates)],
    ['unmaterialized intents', String(report.unmaterialized)],
    ['dead letters', String(report.deadLetters)],
    [
      'gateway subscribers',
      report.subscribers
        .map(
          (s) =>
            `${s.name}: ${s.received} changes, ${s.connections} ${s.name === 'sse' ? 'streams' : 'calls taken'}${s.refused ? `, ${s.refused} calls refused on purpose` : ''}`,
        )
        .join('; '),
    ],
    [
      'hostile clients',
      report.hostile.sent === 0
        ? 'off'
        : `${report.hostile.sent} requests: ${Object.entries(report.hostile.answers)
            .sort()
            .map(([answer, n]) => `${answer}: ${n}`)
            .join(', ')}`,
    ],
    [
      'dead letters of hostile tables',
      Object.entries(report.hostileDeadLetters)
        .map(([code, n]) => `${code}: ${n}`)
        .join(', ') || '0',
    ],
    ...Object.entries(report.violations).map(([check, n]): [string, string] => [
      `violations: ${check}`,
      String(n),
    ]),
  ];
  if (report.unexpectedExits.length > 0)
    rows.push(['unexpected exits', report.unexpectedExits.join(', ')]);
  if (report.faultErrors.length > 0) rows.push(['not recovered', report.faultErrors.join('; ')]);
  if (report.skipped.length > 0) rows.push(['faults skipped', report.skipped.join('; ')]);
  const lines = ['| | |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)];
  if (report.examples.length > 0) {
    lines.push('', 'violations (first 20):');
    for (const v of report.examples)
      lines.push(
        `- ${v.check} (${v.check === 'subscriber-final-state' ? SUBSCRIBER_CHECK : CHECKS[v.check]}): ${v.detail}`,
      );
  }
  return lines.join('\n');
}

/** Each key's last event, in topic order (a key's events are on one partition). */
function finalEvents(events: readonly ObservedEvent[]): Map<string, ObservedEvent> {
  const finals = new Map<string, ObservedEvent>();
  for (const event of events) {
    const key = `${event.table}/${event.key}`;
    const known = finals.get(key);
    if (!known || event.offset > known.offset) finals.set(key, event);
  }
  return finals;
}

async function waitUntil(timeoutMs: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
}

function shuffle<T>(list: T[], random: () => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}
