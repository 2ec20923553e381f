/**
 * Request metrics of a function process: requests per route and status with a latency histogram,
 * kept in memory and added to private.function_metrics every few seconds, so the metrics function
 * serves every function's figures from one place (each function runs in its own process, hosted too).
 */
import type { Sql } from "./db.ts";

/** Latency bucket boundaries in seconds (Prometheus's defaults). */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface Row {
  function_name: string;
  route: string;
  status: number;
  requests: number;
  duration_seconds_sum: number;
  /** Requests per bucket (not cumulative), one more than BUCKETS for the rest. */
  buckets: number[];
}

export class MetricsBuffer {
  private rows = new Map<string, Row>();

  record(functionName: string, route: string, status: number, seconds: number): void {
    const key = `${route}\u0000${status}`;
    let row = this.rows.get(key);
    if (!row) {
      row = {
        function_name: functionName,
        route,
        status,
        requests: 0,
        duration_seconds_sum: 0,
        buckets: new Array(BUCKETS.length + 1).fill(0),
      };
      this.rows.set(key, row);
    }
    row.requests++;
    row.duration_seconds_sum += seconds;
    const index = BUCKETS.findIndex((le) => seconds <= le);
    row.buckets[index < 0 ? BUCKETS.length : index]!++;
  }

  /** Adds a drained row back (a report that failed is sent again with the next one). */
  restore(row: Row): void {
    const key = `${row.route}\u0000${row.status}`;
    const current = this.rows.get(key);
    if (!current) {
      this.rows.set(key, { ...row, buckets: [...row.buckets] });
      return;
    }
    current.requests += row.requests;
    current.duration_seconds_sum += row.duration_seconds_sum;
    row.buckets.forEach((n, i) => (current.buckets[i] = current.buckets[i]! + n));
  }

  /** What was recorded since the last drain (and forgets it). */
  drain(): Row[] {
    const rows = [...this.rows.values()];
    this.rows.clear();
    return rows;
  }
}

/**
 * Adds the buffer to private.function_metrics every `everyMs`; a failed write puts its rows back.
 * Returns a function that flushes once more and stops.
 */
export function flushMetrics(buffer: MetricsBuffer, sql: Sql, everyMs = 5000): () => Promise<void> {
  const flush = async () => {
    const rows = buffer.drain();
    if (rows.length === 0) return;
    try {
      await sql`select private.record_function_metrics(${sql.json(rows as never)})`;
    } catch {
      for (const row of rows) buffer.restore(row);
    }
  };
  const timer = setInterval(() => void flush(), everyMs);
  (timer as { unref?: () => void }).unref?.();
  return async () => {
    clearInterval(timer);
    await flush();
  };
}
