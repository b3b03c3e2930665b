/**
 * The benchmark's report (`bench.ts`): the markdown file, the terminal table, the machine
 * description, PyTorch's row of each workload (the fastest of the settings tried), and every
 * training and generation figure as a ratio to PyTorch's on the same workload, measured in the
 * same run (`_bench_pytorch.ts`).
 *
 * @module
 */
import { type Entry, GROUPS, MIB } from "./_bench_common.ts";
import { PYTORCH_BACKEND } from "./_bench_pytorch.ts";

/** The value with the digits it deserves, or `—` when there is none. */
export function formatValue(e: Entry): string {
  if (e.value === null) return "—";
  const digits = e.value >= 100 ? 0 : e.value >= 10 ? 1 : 2;
  return e.value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** The value and its unit, or the placeholder alone when there is no value. */
export function valueWithUnit(e: Entry): string {
  return e.value === null ? formatValue(e) : `${formatValue(e)} ${e.unit}`;
}

/**
 * PyTorch's row of each workload from its runs with several settings (`runs[k]`: the entries
 * of one run, see `pytorchTries`): the fastest measured, its notes ending with every setting's
 * figure; where none was measured, the first run's row, its notes ending with every status.
 *
 * @param runs one list of entries per setting, each with the same workloads
 * @returns one entry per workload of the first run, in its order
 */
export function fastestPytorch(runs: Entry[][]): Entry[] {
  return (runs[0] ?? []).map((first) => {
    const tries = runs.flatMap((run) =>
      run.filter((e) => e.workload === first.workload && e.unit === first.unit)
    );
    const best = tries.reduce<Entry | undefined>(
      (a, e) => e.status === "ok" && e.value !== null && (a == null || e.value > a.value!) ? e : a,
      undefined,
    );
    const tried = tries.map((e) =>
      `${e.backend.replace(/^[^,]*, /, "")}: ${e.status === "ok" ? valueWithUnit(e) : e.status}`
    ).join("; ");
    const row = best ?? first;
    const what = best ? `the fastest of ${tries.length} settings` : "no setting measured";
    return { ...row, notes: `${row.notes}; ${what}: ${tried}` };
  });
}

/**
 * The PyTorch entry a project entry compares with: same workload and unit, measured, and the
 * fastest of PyTorch's rows.
 */
function pytorchOf(e: Entry, entries: Entry[]): Entry | undefined {
  if (!/^(train|generate) /.test(e.workload) || e.backend.startsWith(PYTORCH_BACKEND)) {
    return undefined;
  }
  const measured = entries.filter((p) =>
    p.backend.startsWith(PYTORCH_BACKEND) && p.workload === e.workload && p.unit === e.unit &&
    p.value !== null
  );
  return measured.reduce<Entry | undefined>(
    (a, p) => a == null || p.value! > a.value! ? p : a,
    undefined,
  );
}

/**
 * `e`'s value as a multiple of PyTorch's on the same workload in `entries` (`"1.52x"`), or
 * `""` where there is nothing to compare (not a training or generation figure, no value, or
 * no PyTorch figure).
 */
export function ratioToPytorch(e: Entry, entries: Entry[]): string {
  const reference = pytorchOf(e, entries);
  if (reference === undefined || e.value === null) return "";
  return `${(e.value / reference.value!).toFixed(2)}x`;
}

/** What the markdown report shows besides the rows. */
export interface MarkdownInput {
  entries: Entry[];
  machine: Record<string, string>;
}

/** The columns of an entry in both markdown reports, after its workload. */
const ENTRY_HEADER = [
  "backend",
  "implementation",
  "value",
  "vs PyTorch*",
  "status",
  "peak RSS (MiB)",
  "notes",
];

/** `e`'s cells under {@linkcode ENTRY_HEADER}, its notes as they are. */
function entryCells(e: Entry, entries: Entry[]): string[] {
  return [
    e.backend,
    e.implementation,
    valueWithUnit(e),
    ratioToPytorch(e, entries),
    e.status,
    e.peakRssMiB === null ? "" : e.peakRssMiB.toFixed(0),
    e.notes,
  ];
}

/** The markdown report. */
export function markdown(input: MarkdownInput): string {
  const { entries, machine } = input;
  const rows = entries.map((e) => [
    e.workload,
    ...entryCells({ ...e, notes: e.notes.replaceAll("|", "/") }, entries),
  ]);
  const header = ["workload", ...ENTRY_HEADER];
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    `# Benchmark, ${machine.date}`,
    "",
    ...Object.entries(machine).map(([k, v]) => `- ${k}: ${v}`),
    "",
    line(header),
    line(header.map(() => "---")),
    ...rows.map(line),
    "",
    `\\* ${pytorchFootnote(entries)}`,
    "",
  ].join("\n");
}

/** What the ratio column means, and where its reference came from. */
export function pytorchFootnote(entries: Entry[]): string {
  const torch = entries.find((e) => e.backend.startsWith(PYTORCH_BACKEND));
  if (torch === undefined) return "vs PyTorch: PyTorch was not part of this run.";
  if (torch.status !== "ok" && !entries.some((e) => pytorchOf(e, entries) !== undefined)) {
    return `vs PyTorch: no PyTorch figures in this run (${torch.status}: ${torch.notes}).`;
  }
  return `vs PyTorch: the figure divided by PyTorch's on the same workload, measured in this ` +
    `run on this machine right after the project's rows of that workload (${
      torch.backend.split(",")[0]
    } at its best: the fastest of the torch thread counts and OpenMP wait policies tried, ` +
    `which its row names and its notes list; same models, batch 64, Adam / RMSprop, carried ` +
    `state for generation). Above 1: this project is faster.`;
}

/** A compact table for the terminal. */
export function terminalTable(entries: Entry[]): string {
  const rows = entries.map((e) => [
    e.workload,
    e.backend,
    e.implementation,
    valueWithUnit(e),
    ratioToPytorch(e, entries),
    e.status,
    e.peakRssMiB === null ? "" : `${e.peakRssMiB.toFixed(0)} MiB`,
  ]);
  const header = [
    "workload",
    "backend",
    "impl / method",
    "value",
    "vs torch*",
    "status",
    "peak RSS",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)].join("\n");
}

/**
 * The CPU model as the OS names it (`/proc/cpuinfo`'s `model name`, e.g. `"AMD EPYC"`), or
 * the OS and architecture where that is not readable (`"darwin aarch64"`).
 */
export function cpuModel(): string {
  try {
    const name = /model name\s*:\s*(.+)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1];
    if (name) return name.trim();
  } catch { /* not Linux */ }
  return `${Deno.build.os} ${Deno.build.arch}`;
}

/**
 * A file name for the machine a benchmark ran on: the CPU model's words, lowercase and joined
 * by `-`, without trademarks, clock speed or the chip's own core count, then the logical cores
 * the benchmark saw (`"AMD EPYC"`, 2: `amd-epyc-2-cores`; `"Intel(R) Xeon(R) CPU @
 * 2.20GHz"`, 4: `intel-xeon-4-cores`).
 *
 * @param model the CPU model ({@linkcode cpuModel})
 * @param cores logical cores (`navigator.hardwareConcurrency`)
 */
export function machineSlug(model: string, cores: number): string {
  const words = model.replace(/\((?:R|TM|C)\)/gi, " ").replace(/@.*$/, " ")
    .replace(/\b\d+-core\b/gi, " ").replace(/\b(?:processor|cpu)\b/gi, " ").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return `${words || "unknown-cpu"}-${cores}-${cores === 1 ? "core" : "cores"}`;
}

/** What a benchmark run covered, for {@linkcode machineReportPath}. */
export interface BenchRun {
  /** `--quick`: one or two batches of everything, figures not meaningful. */
  quick: boolean;
  /** The workload groups that ran (`--only`; all of `GROUPS` without it). */
  groups: readonly string[];
}

/**
 * Where a run's report for the docs goes, relative to the repository: `docs/bench/<slug>.md`
 * for a full run (not quick, every workload group), `null` for a quick or partial one, which
 * would replace a machine's full figures with fewer or meaningless ones.
 *
 * @param slug the machine ({@linkcode machineSlug})
 */
export function machineReportPath(slug: string, run: BenchRun): string | null {
  if (run.quick || !GROUPS.every((g) => run.groups.includes(g))) return null;
  return `docs/bench/${slug}.md`;
}

/** What the docs report of a machine shows. */
export interface MachineReportInput extends MarkdownInput {
  /** The machine's file name ({@linkcode machineSlug}). */
  slug: string;
}

/** What the docs report lists under "Machine and versions", in this order; the rest follow. */
const MACHINE_KEYS = ["date", "command", "cpu", "memory", "os", "deno", "tfjs", "blas", "pytorch"];

/** A table cell: no `|` (it would end the cell), no backticks, no line breaks. */
function cell(text: string): string {
  return text.replaceAll("|", "/").replaceAll("`", "'").replace(/\s*\n\s*/g, " ").trim();
}

/**
 * A Markdown table as `deno fmt` writes it: every column padded to its widest cell, the
 * separator row of dashes as wide.
 *
 * @param rows the header row first, then the body rows, each with the same number of cells
 */
function table(rows: string[][]): string[] {
  const cells = rows.map((r) => r.map(cell));
  const width = (text: string) => [...text].length;
  const widths = cells[0].map((_, i) => Math.max(1, ...cells.map((r) => width(r[i]))));
  const pad = (r: string[]) =>
    `| ${r.map((c, i) => c + " ".repeat(widths[i] - width(c))).join(" | ")} |`;
  return [pad(cells[0]), pad(widths.map((w) => "-".repeat(w))), ...cells.slice(1).map(pad)];
}

/**
 * The report `deno task bench` writes to `docs/bench/<machine>.md` after a full run: the
 * date, the machine and the versions, then one table per workload (training, generation,
 * parsing, memory) with each figure's ratio to PyTorch, what could not run, and what the
 * ratio means. It is formatted as `deno fmt` formats it, and its cells carry no backticks, so
 * `deno task check` passes with it.
 */
export function machineReport(input: MachineReportInput): string {
  const { entries, machine, slug } = input;
  const keys = [
    ...MACHINE_KEYS.filter((k) => k in machine),
    ...Object.keys(machine).filter((k) => !MACHINE_KEYS.includes(k)),
  ];
  const measured = entries.filter((e) => e.workload !== "all");
  const workloads = [...new Set(measured.map((e) => e.workload))];
  const missing = entries.filter((e) => e.workload === "all");
  return [
    `# Benchmark: ${slug}`,
    "",
    `Written by \`deno task bench\` (a full run) on ${machine.date ?? "an unknown date"}. ` +
    "Compare ratios within one run: figures move from run to run and machine to machine.",
    "",
    "## Machine and versions",
    "",
    ...table([["what", "this run"], ...keys.map((k) => [k, machine[k]])]),
    "",
    ...workloads.flatMap((w) => [
      `## ${cell(w)}`,
      "",
      ...table([
        ENTRY_HEADER,
        ...measured.filter((e) => e.workload === w).map((e) => entryCells(e, entries)),
      ]),
      "",
    ]),
    ...(missing.length === 0 ? [] : [
      "## Not measured",
      "",
      ...missing.map((e) => `- ${cell(e.backend)}: ${cell(e.notes)}`),
      "",
    ]),
    `\\* ${cell(pytorchFootnote(entries))}`,
    "",
  ].join("\n");
}

/** The machine and runtime the figures come from. */
export async function machineInfo(): Promise<Record<string, string>> {
  const tf = await import("@tensorflow/tfjs");
  const mem = Deno.systemMemoryInfo();
  return {
    date: new Date().toISOString(),
    os: `${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`,
    cpu: `${cpuModel()}, ${navigator.hardwareConcurrency} logical cores`,
    memory: `${(mem.total / MIB / 1024).toFixed(1)} GiB`,
    deno: `${Deno.version.deno} (V8 ${Deno.version.v8})`,
    tfjs: tf.version.tfjs,
  };
}
