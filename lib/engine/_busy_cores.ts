/**
 * How many cores other processes keep busy right now, for the `"auto"` thread count of the
 * wasm backend and the BLAS (`backend.ts`).
 *
 * The 1-minute load average is the wrong measure: it still counts a process that ended a
 * minute ago (the classic demo, started right after another run, fell to one thread at load
 * 2.07 with nothing else running). This samples the kernel's CPU counters instead
 * (`/proc/stat` on Linux, `node:os` `cpus()` where there is none: macOS, Windows) over a short
 * wait during which this process itself is idle, so what it sees is the other processes' work
 * now.
 *
 * @module
 */
import { cpus } from "node:os";

/** What {@linkcode busyCoresNow} measured. */
export interface BusyCores {
  /** Cores' worth of work by other processes (0 .. cores), or `null` when unknown. */
  busy: number | null;
  /**
   * How it was measured, for a reason line: `"/proc/stat over 150 ms"`,
   * `"os.cpus() over 150 ms"`, ...
   */
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
  /**
   * Reads each CPU's times, as `node:os` `cpus()` gives them (tests replace it).
   * @default {the `times` of `cpus()` from `node:os`}
   */
  cpuTimes?: () => CpuTimes[];
}

/** One CPU's times in milliseconds since boot, as `node:os` `cpus()[i].times` gives them. */
export interface CpuTimes {
  user: number;
  nice: number;
  sys: number;
  idle: number;
  irq: number;
}

/** Counters of all CPUs at one moment: total and idle time (any unit), and the CPU count. */
interface CpuCounters {
  total: number;
  idle: number;
  cpus: number;
}

/** Total and idle jiffies of all CPUs (the `cpu` line of `/proc/stat`), and the CPU count. */
export function parseProcStat(text: string): CpuCounters {
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
 * Total and idle milliseconds of all CPUs and the CPU count, from `node:os` `cpus()` times
 * (idle is the `idle` time; user, nice, sys and irq are busy).
 *
 * @throws {Error} when a time is not a finite number
 */
export function sumCpuTimes(times: CpuTimes[]): CpuCounters {
  let total = 0;
  let idle = 0;
  for (const [i, t] of times.entries()) {
    const fields = [t.user, t.nice, t.sys, t.idle, t.irq];
    if (fields.some((f) => !Number.isFinite(f))) {
      throw new Error(`cpus()[${i}].times: expected numbers, got ${JSON.stringify(t)}`);
    }
    total += fields.reduce((sum, f) => sum + f, 0);
    idle += t.idle;
  }
  return { total, idle, cpus: times.length };
}

/**
 * Measures the cores other processes keep busy now: `/proc/stat` over `sampleMs` (Linux),
 * else `node:os` `cpus()` over `sampleMs` (macOS, Windows; needs `--allow-sys`), else the
 * running-tasks field of `/proc/loadavg` (minus this process), else unknown. Never throws:
 * without any of them or permission to read them, `busy` is `null`.
 *
 * @param options how long to watch
 */
export async function busyCoresNow(options: BusyCoresOptions = {}): Promise<BusyCores> {
  const read = options.readFile ?? ((path: string) => Deno.readTextFileSync(path));
  const cpuTimes = options.cpuTimes ?? (() => cpus().map((cpu) => cpu.times));
  const sampleMs = options.sampleMs ?? 150;
  const sources: Array<[string, () => CpuCounters]> = [
    ["/proc/stat", () => parseProcStat(read("/proc/stat"))],
    ["os.cpus()", () => sumCpuTimes(cpuTimes())],
  ];
  for (const [name, counters] of sources) {
    try {
      const before = counters();
      await new Promise((resolve) => setTimeout(resolve, sampleMs));
      const after = counters();
      const total = after.total - before.total;
      if (total > 0 && after.cpus > 0) {
        const busy = ((total - (after.idle - before.idle)) / total) * after.cpus;
        return { busy: Math.max(0, busy), source: `${name} over ${sampleMs} ms` };
      }
    } catch {
      // not there (no /proc/stat off Linux) or not allowed (--allow-read, --allow-sys): next
    }
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
