import assert from "node:assert/strict";
import { busyCoresNow, parseProcStat } from "../../lib/engine/_busy_cores.ts";

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

Deno.test("busyCoresNow() falls back to the running tasks of /proc/loadavg, then to unknown", async () => {
  const noStat = (text: string) => (path: string) => {
    if (path === "/proc/stat") throw new Deno.errors.NotFound(path);
    return text;
  };
  const running = await busyCoresNow({ sampleMs: 1, readFile: noStat("0.5 0.4 0.3 3/120 999") });
  assert.deepEqual(running, { busy: 2, source: "running tasks in /proc/loadavg" });
  const unknown = await busyCoresNow({
    sampleMs: 1,
    readFile: () => {
      throw new Deno.errors.NotFound("no /proc");
    },
  });
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
