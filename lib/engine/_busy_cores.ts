/**
 * How many cores other processes keep busy right now, for the `"auto"` thread count of the
 * wasm backend and the BLAS (`backend.ts`).
 *
 * The 1-minute load average is the wrong measure: it still counts a process that ended a
 * minute ago (the classic demo, started right after another run, fell to one thread at load
 * 2.07 with nothing else running). This samples the kernel's CPU counters instead
 * (`/proc/stat`) over a short wait during which this process itself is idle, so what it sees
 * is the other processes' work now.
 *
 * @module
 */

/** What {@linkcode busyCoresNow} measured. */
export interface BusyCores {
  /** Cores' worth of work by other processes (0 .. cores), or `null` when unknown. */
  busy: number | null;
  /** How it was measured, for a reason line: `"/proc/stat over 150 ms"`, ... */
  source: string;
}

/** Options of {@linkcode busyCoresNow}. */
export interface BusyCoresOptions {
  /**
   * How long to watch the counters.
   * @default {150}
   */
  sampleMs?: number;
  /**
   * Reads a file (tests replace it).
   * @default {Deno.readTextFileSync}
   */
  readFile?: (path: string) => string;
}

/** Total and idle jiffies of all CPUs (the `cpu` line of `/proc/stat`), and the CPU count. */
export function parseProcStat(text: string): { total: number; idle: number; cpus: number } {
  const lines = text.split("\n");
  const all = lines.find((l) => /^cpu\s/.test(l));
  if (all === undefined) throw new Error(`/proc/stat: expected a "cpu" line, got none`);
  const fields = all.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || fields.some((f) => !Number.isFinite(f))) {
    throw new Error(`/proc/stat: expected numbers on the "cpu" line, got "${all}"`);
  }
  // user nice system idle iowait irq softirq steal (guest and guest_nice are inside user).
  const total = fields.slice(0, 8).reduce((sum, f) => sum + f, 0);
  const idle = fields[3] + (fields[4] ?? 0);
  const cpus = lines.filter((l) => /^cpu\d+\s/.test(l)).length;
  return { total, idle, cpus };
}

/**
 * Measures the cores other processes keep busy now: `/proc/stat` over `sampleMs` (Linux),
 * else the running-tasks field of `/proc/loadavg` (minus this process), else unknown.
 * Never throws: without `/proc` or permission to read it, `busy` is `null`.
 *
 * @param options how long to watch
 */
export async function busyCoresNow(options: BusyCoresOptions = {}): Promise<BusyCores> {
  const read = options.readFile ?? ((path: string) => Deno.readTextFileSync(path));
  const sampleMs = options.sampleMs ?? 150;
  try {
    const before = parseProcStat(read("/proc/stat"));
    await new Promise((resolve) => setTimeout(resolve, sampleMs));
    const after = parseProcStat(read("/proc/stat"));
    const total = after.total - before.total;
    if (total > 0 && after.cpus > 0) {
      const busy = ((total - (after.idle - before.idle)) / total) * after.cpus;
      return { busy: Math.max(0, busy), source: `/proc/stat over ${sampleMs} ms` };
    }
  } catch {
    // no /proc/stat (not Linux) or no --allow-read: try the next source
  }
  try {
    const running = Number(read("/proc/loadavg").split(/\s+/)[3]?.split("/")[0]);
    if (Number.isFinite(running)) {
      return { busy: Math.max(0, running - 1), source: "running tasks in /proc/loadavg" };
    }
  } catch {
    // nothing to read: unknown
  }
  return { busy: null, source: "unknown" };
}
