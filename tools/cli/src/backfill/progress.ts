import { SingleBar } from 'cli-progress';

export interface ProgressState {
  rowsScanned: number;
  refreshesAppended: number;
  estimatedRows: number | null;
}

/** How a run shows how far it is: a bar with the ETA on a terminal, a plain line every few seconds otherwise. */
export interface Progress {
  update(state: ProgressState): void;
  stop(final: ProgressState): void;
}

/** Rows per second since `startedAt`, and the seconds left at that pace (undefined without an estimate). */
export function pace(
  state: ProgressState,
  scannedAtStart: number,
  startedAt: number,
  now: number,
): { rowsPerSecond: number; etaSeconds: number | undefined } {
  const seconds = Math.max((now - startedAt) / 1000, 0.001);
  const rowsPerSecond = (state.rowsScanned - scannedAtStart) / seconds;
  const left =
    state.estimatedRows === null ? undefined : Math.max(state.estimatedRows - state.rowsScanned, 0);
  return {
    rowsPerSecond,
    etaSeconds:
      left === undefined || rowsPerSecond <= 0 ? undefined : Math.round(left / rowsPerSecond),
  };
}

export function progressReporter(
  table: string,
  output: NodeJS.WritableStream & { isTTY?: boolean },
  options: { startedAt: number; scannedAtStart: number; now?: () => number; everyMs?: number },
): Progress {
  const now = options.now ?? Date.now;
  const line = (state: ProgressState): string => {
    const { rowsPerSecond, etaSeconds } = pace(
      state,
      options.scannedAtStart,
      options.startedAt,
      now(),
    );
    const of = state.estimatedRows === null ? '' : ` of ~${state.estimatedRows}`;
    const eta = etaSeconds === undefined ? '' : `, eta ${etaSeconds} s`;
    return `backfill ${table}: ${state.rowsScanned}${of} rows scanned, ${state.refreshesAppended} refresh intents appended, ${Math.round(rowsPerSecond)} rows/s${eta}`;
  };
  if (!output.isTTY) {
    const everyMs = options.everyMs ?? 5000;
    let last = 0;
    return {
      update(state) {
        if (now() - last < everyMs) return;
        last = now();
        output.write(`${line(state)}\n`);
      },
      stop(final) {
        output.write(`${line(final)}\n`);
      },
    };
  }
  const bar = new SingleBar({
    format: `backfill ${table} [{bar}] {percentage}% | {value}/{total} rows | {rowsPerSecond} rows/s | eta {eta}`,
    stream: output,
    hideCursor: true,
    etaBuffer: 50,
  });
  let started = false;
  const render = (state: ProgressState) => {
    const total = Math.max(state.estimatedRows ?? 0, state.rowsScanned, 1);
    const { rowsPerSecond, etaSeconds } = pace(
      state,
      options.scannedAtStart,
      options.startedAt,
      now(),
    );
    const payload = {
      rowsPerSecond: Math.round(rowsPerSecond),
      eta: etaSeconds === undefined ? '?' : `${etaSeconds}s`,
    };
    if (!started) {
      bar.start(total, state.rowsScanned, payload);
      started = true;
    } else {
      bar.setTotal(total);
      bar.update(state.rowsScanned, payload);
    }
  };
  return {
    update: render,
    stop(final) {
      render(final);
      bar.stop();
      output.write(`${line(final)}\n`);
    },
  };
}
