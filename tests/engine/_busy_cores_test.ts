import assert from "node:assert/strict";
import {
  busyCoresNow,
  type CpuTimes,
  parseProcStat,
  sumCpuTimes,
} from "../../lib/engine/_busy_cores.ts";

/** A /proc/stat with two CPUs whose aggregate line has `busy` and `idle` jiffies. */
function procStat(busy: number, idle: number): string {
  return [
    `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0`,
    `cpu0 ${busy / 2} 0 0 ${idle / 2} 0 0 0 0 0 0`,
    `cpu1 ${busy / 2} 0 0 ${idle / 2} 0 0 0 0 0 0`,
    "intr 12345",
  ].join("\n");
}

Deno.test("parseProcStat() sums the cpu line and counts the CPUs", () => {
  assert.deepEqual(parseProcStat("cpu  10 1 2 30 4 0 0 0 0 0\ncpu0 5 0 1 15 2 0 0 0 0 0\n"), {
    total: 47,
    idle: 34,
    cpus: 1,
  });
  assert.throws(() => parseProcStat("intr 1\n"), /expected a "cpu" line/);
});

Deno.test("busyCoresNow() measures what runs now, not what ran a minute ago", async () => {
  // One core busy during the sample: 100 of 200 jiffies on 2 CPUs.
  const samples = [procStat(1000, 5000), procStat(1100, 5100)];
  const loadavg = "2.07 1.50 0.80 1/120 999"; // a high load average from a run that ended
  const read = (path: string) => path === "/proc/stat" ? samples.shift()! : loadavg;
  const { busy, source } = await busyCoresNow({ sampleMs: 1, readFile: read });
  assert.equal(busy, 1);
  assert.equal(source, "/proc/stat over 1 ms");
  // Nothing running besides this process: no busy core, whatever the load average says.
  const quiet = [procStat(1000, 5000), procStat(1000, 5200)];
  const idle = await busyCoresNow({
    sampleMs: 1,
    readFile: (path) => path === "/proc/stat" ? quiet.shift()! : loadavg,
  });
  assert.equal(idle.busy, 0);
});

/** `cpus()` times of two CPUs, each with `busy` and `idle` milliseconds (busy split in four). */
function cpuTimes(busy: number, idle: number): CpuTimes[] {
  const one = { user: busy / 4, nice: busy / 4, sys: busy / 4, idle, irq: busy / 4 };
  return [{ ...one }, { ...one }];
}

/** A `readFile` without `/proc` (macOS, Windows). */
function noProc(path: string): string {
  throw new Deno.errors.NotFound(path);
}

/** A `cpuTimes` that is not allowed (no --allow-sys). */
function noCpus(): CpuTimes[] {
  throw new Deno.errors.NotCapable("requires sys access to cpus");
}

Deno.test("sumCpuTimes() sums every CPU's times and counts the CPUs", () => {
  assert.deepEqual(sumCpuTimes(cpuTimes(40, 100)), { total: 280, idle: 200, cpus: 2 });
  assert.deepEqual(sumCpuTimes([]), { total: 0, idle: 0, cpus: 0 });
  const broken = [{ user: NaN, nice: 0, sys: 0, idle: 0, irq: 0 }];
  assert.throws(() => sumCpuTimes(broken), /cpus\(\)\[0\]\.times: expected numbers/);
});

Deno.test("busyCoresNow() reads os.cpus() where /proc/stat is missing (macOS, Windows)", async () => {
  // 1.5 cores busy during the sample: each CPU 75 of 100 ms busy.
  const samples = [cpuTimes(1000, 5000), cpuTimes(1075, 5025)];
  const measured = await busyCoresNow({
    sampleMs: 1,
    readFile: noProc,
    cpuTimes: () => samples.shift()!,
  });
  assert.deepEqual(measured, { busy: 1.5, source: "os.cpus() over 1 ms" });
  // /proc/stat, where there is one, comes first.
  const stats = [procStat(1000, 5000), procStat(1000, 5200)];
  const linux = await busyCoresNow({
    sampleMs: 1,
    readFile: (path) => path === "/proc/stat" ? stats.shift()! : "",
    cpuTimes: () => cpuTimes(1000, 0),
  });
  assert.deepEqual(linux, { busy: 0, source: "/proc/stat over 1 ms" });
});

Deno.test("busyCoresNow() falls back to the running tasks of /proc/loadavg, then to unknown", async () => {
  const noStat = (text: string) => (path: string) => {
    if (path === "/proc/stat") throw new Deno.errors.NotFound(path);
    return text;
  };
  const running = await busyCoresNow({
    sampleMs: 1,
    readFile: noStat("0.5 0.4 0.3 3/120 999"),
    cpuTimes: noCpus,
  });
  assert.deepEqual(running, { busy: 2, source: "running tasks in /proc/loadavg" });
  // Times that do not move (a platform whose cpus() gives zeros) are no measure either.
  const still = await busyCoresNow({
    sampleMs: 1,
    readFile: noStat("0.5 0.4 0.3 3/120 999"),
    cpuTimes: () => cpuTimes(0, 0),
  });
  assert.deepEqual(still, { busy: 2, source: "running tasks in /proc/loadavg" });
  const unknown = await busyCoresNow({ sampleMs: 1, readFile: noProc, cpuTimes: noCpus });
  assert.deepEqual(unknown, { busy: null, source: "unknown" });
});

Deno.test({
  name: "busyCoresNow() reads this machine's counters",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const { busy, source } = await busyCoresNow({ sampleMs: 50 });
    assert.equal(source, "/proc/stat over 50 ms");
    assert.ok(busy != null && busy >= 0 && busy <= (navigator.hardwareConcurrency ?? 1) + 0.01);
  },
});

Deno.test("busyCoresNow() reads this machine's cpus() times", async () => {
  const { busy, source } = await busyCoresNow({ sampleMs: 50, readFile: noProc });
  assert.equal(source, "os.cpus() over 50 ms");
  assert.ok(busy != null && busy >= 0 && busy <= (navigator.hardwareConcurrency ?? 1) + 0.01);
});
