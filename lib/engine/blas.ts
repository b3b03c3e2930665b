/**
 * The system's BLAS (its `cblas_sgemm`) through Deno FFI, for the fused LSTM's matrix
 * products: OpenBLAS on Linux (Debian: `apt install libopenblas0-pthread`), Accelerate on
 * macOS, an OpenBLAS DLL on Windows, or the library named by the environment variable
 * `MIDI_LSTM_BLAS` (`off` disables it).
 *
 * The products run directly on `Float32Array`s (plain, wasm or shared memory): no copies.
 * Loading needs `--allow-ffi` (or `-A`); without it, or without a library, the engine keeps
 * its WebAssembly products and {@linkcode BlasLoad.reason} says why.
 *
 * ```ts
 * const { blas, reason } = loadBlas();
 * console.log(reason); // "OpenBLAS 0.3.21 (libopenblas.so.0), 2 threads"
 * ```
 *
 * @module
 */

/** Environment variable naming the BLAS library to load, or `off`. */
export const BLAS_ENV_VAR = "MIDI_LSTM_BLAS";

/** One `C = alpha * op(A) x op(B) + beta * C` on row-major float32 matrices. */
export interface SgemmCall {
  /** Use `A` transposed: `A` is stored `[k, m]`. @default {false} */
  transA?: boolean;
  /** Use `B` transposed: `B` is stored `[n, k]`. @default {false} */
  transB?: boolean;
  /** Rows of `op(A)` and `C`. */
  m: number;
  /** Columns of `op(B)` and `C`. */
  n: number;
  /** Columns of `op(A)`, rows of `op(B)`. */
  k: number;
  /** Scales the product. @default {1} */
  alpha?: number;
  /** `A`, from its first element (a `subarray` starts elsewhere). */
  a: Float32Array;
  /** Row stride of `A` in floats. @default {the stored row length: k, or m with transA} */
  lda?: number;
  /** `B`, from its first element. */
  b: Float32Array;
  /** Row stride of `B`. @default {n, or k with transB} */
  ldb?: number;
  /** Scales what `C` held. `0`: `C`'s contents are not read. @default {0} */
  beta?: number;
  /** The result, written in place. */
  c: Float32Array;
  /** Row stride of `C`. @default {n} */
  ldc?: number;
}

/** A loaded CBLAS. */
export interface Blas {
  /** The file that was opened, as given to `dlopen` (e.g. `libopenblas.so.0`). */
  path: string;
  /** Name and version for people, e.g. `"OpenBLAS 0.3.21"`, `"Accelerate"`, `"CBLAS"`. */
  name: string;
  /** `openblas_get_config()` (build options, CPU core), or `""` where the library has none. */
  config: string;
  /** Threads the library runs products on, or `null` where it cannot say (Accelerate). */
  threads(): number | null;
  /**
   * Sets the library's threads (OpenBLAS).
   *
   * @returns `false` where the library cannot be told (Accelerate: it decides itself)
   */
  setThreads(count: number): boolean;
  /**
   * `C = alpha * op(A) x op(B) + beta * C`.
   *
   * @throws when an array is shorter than its shape and strides need (checked before the call:
   *   the library would read or write past it)
   */
  sgemm(call: SgemmCall): void;
}

/** What {@linkcode loadBlas} found. */
export interface BlasLoad {
  /** The library, or `null` when none could be loaded (or it is off). */
  blas: Blas | null;
  /**
   * One line for people: `"OpenBLAS 0.3.21 (libopenblas.so.0), 2 threads"`, or why there is
   * none: `"BLAS off: MIDI_LSTM_BLAS=off"`, `"no BLAS found (tried ...)"`,
   * `'MIDI_LSTM_BLAS="/x.so" did not load: file too short'`, `"no BLAS: loading one needs
   * --allow-ffi (or -A)"`.
   */
  reason: string;
  /** Each library tried, with the error of those that failed. */
  tried: string[];
  /** How to get a BLAS on this OS, when none was found; `""` otherwise. */
  install: string;
}

/** Options of {@linkcode loadBlas}. */
export interface LoadBlasOptions {
  /**
   * A library path or name to open, `"off"` (no BLAS) or `"auto"` (the usual places, see
   * {@linkcode blasCandidates}).
   * @default {the environment variable MIDI_LSTM_BLAS when set and not empty, else "auto"}
   */
  library?: string;
}

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32", // order
      "i32", // transA
      "i32", // transB
      "i32", // m
      "i32", // n
      "i32", // k
      "f32", // alpha
      "buffer", // a
      "i32", // lda
      "buffer", // b
      "i32", // ldb
      "f32", // beta
      "buffer", // c
      "i32", // ldc
    ],
    result: "void",
  },
  cblas_sgemv: {
    parameters: [
      "i32", // order
      "i32", // trans
      "i32", // m: rows of the stored matrix
      "i32", // n: its columns
      "f32", // alpha
      "buffer", // a
      "i32", // lda
      "buffer", // x
      "i32", // incX
      "f32", // beta
      "buffer", // y
      "i32", // incY
    ],
    result: "void",
    optional: true,
  },
  openblas_get_config: { parameters: [], result: "pointer", optional: true },
  openblas_get_num_threads: { parameters: [], result: "i32", optional: true },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
} as const;

type BlasSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/**
 * The libraries `"auto"` tries on this OS, best first.
 *
 * @param os the OS (`Deno.build.os`)
 */
export function blasCandidates(os: typeof Deno.build.os = Deno.build.os): string[] {
  if (os === "darwin") {
    return [
      "/System/Library/Frameworks/Accelerate.framework/Accelerate",
      "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
      "/usr/local/opt/openblas/lib/libopenblas.dylib",
    ];
  }
  if (os === "windows") return ["libopenblas.dll", "openblas.dll"];
  const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  return [
    "libopenblas.so.0",
    `/usr/lib/${arch}-linux-gnu/openblas-pthread/libopenblas.so.0`,
    `/usr/lib/${arch}-linux-gnu/libopenblas.so.0`,
    "libopenblas.so",
  ];
}

/** How to install a BLAS on `os`. */
function installHint(os: typeof Deno.build.os): string {
  if (os === "darwin") {
    return "macOS ships Accelerate (nothing to install), or `brew install openblas`";
  }
  if (os === "windows") {
    return "put an OpenBLAS DLL (libopenblas.dll, from the OpenBLAS releases) on PATH or name " +
      `it in ${BLAS_ENV_VAR}`;
  }
  return "`apt install libopenblas0-pthread` (Debian, Ubuntu), `dnf install openblas` (Fedora)";
}

const cache = new Map<string, BlasLoad>();

/**
 * Loads a CBLAS (once per process and request; later calls return the same result).
 *
 * Never throws for a missing or broken library: `blas` is then `null` and `reason` says what
 * was tried and what failed.
 *
 * @param options which library
 * @throws never
 */
export function loadBlas(options: LoadBlasOptions = {}): BlasLoad {
  let request = options.library?.trim();
  let setting = "";
  if (request === undefined || request === "") {
    let fromEnv: string | undefined;
    try {
      fromEnv = Deno.env.get(BLAS_ENV_VAR)?.trim();
    } catch {
      fromEnv = undefined; // no --allow-env: as if unset
    }
    request = fromEnv === undefined || fromEnv === "" ? "auto" : fromEnv;
    setting = fromEnv === undefined || fromEnv === "" ? "" : BLAS_ENV_VAR;
  }
  const key = `${setting}\u0000${request}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const result = load(request, setting);
  cache.set(key, result);
  return result;
}

function load(request: string, setting: string): BlasLoad {
  const os = Deno.build.os;
  if (request.toLowerCase() === "off") {
    const reason = setting === "" ? "BLAS off" : `BLAS off: ${setting}=off`;
    return { blas: null, reason, tried: [], install: "" };
  }
  const candidates = request === "auto" ? blasCandidates(os) : [request];
  const tried: string[] = [];
  const errors: string[] = [];
  for (const path of candidates) {
    try {
      const blas = open(path);
      return { blas, reason: describeBlas(blas), tried: [...tried, path], install: "" };
    } catch (error) {
      if (error instanceof FfiPermissionError) {
        return { blas: null, reason: error.message, tried: [], install: "" };
      }
      // dlopen's message repeats the path: keep what follows it.
      const message = firstLine(error).replaceAll(`${path}: `, "");
      errors.push(message);
      tried.push(`${path}: ${message}`);
    }
  }
  const reason = request !== "auto"
    ? `${setting === "" ? "BLAS " : `${setting}=`}${JSON.stringify(request)} did not load: ` +
      errors[0]
    : `no BLAS found (tried ${candidates.join(", ")})`;
  return { blas: null, reason, tried, install: installHint(os) };
}

/** Deno refused `dlopen`: no `--allow-ffi`. */
class FfiPermissionError extends Error {}

/** What a run records about the BLAS it used (`run.json`, `selectBackend`). */
export interface BlasInfo {
  /** See {@linkcode Blas.name}. */
  name: string;
  /** See {@linkcode Blas.path}. */
  path: string;
  /** See {@linkcode Blas.config}. */
  config: string;
  /** Threads at the time of the call, `null` where the library cannot say. */
  threads: number | null;
}

/** The facts about `blas` worth recording (plain data, JSON-safe). */
export function blasInfo(blas: Blas): BlasInfo {
  return { name: blas.name, path: blas.path, config: blas.config, threads: blas.threads() };
}

/** One line for people: `"OpenBLAS 0.3.21 (libopenblas.so.0), 2 threads"`. */
export function describeBlas(blas: Blas): string {
  const threads = blas.threads();
  return `${blas.name} (${blas.path})` +
    (threads == null ? "" : `, ${threads} thread${threads === 1 ? "" : "s"}`);
}

/** Opens `path` and checks one tiny product. */
function open(path: string): Blas {
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen(path, SYMBOLS);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw new FfiPermissionError("no BLAS: loading one needs --allow-ffi (or -A)");
    }
    throw error;
  }
  const s: BlasSymbols = lib.symbols;
  let config = "";
  if (s.openblas_get_config != null) {
    const pointer = s.openblas_get_config();
    if (pointer != null) config = Deno.UnsafePointerView.getCString(pointer);
  }
  const name = config.startsWith("OpenBLAS")
    ? config.split(" ").slice(0, 2).join(" ")
    : /Accelerate/.test(path)
    ? "Accelerate"
    : "CBLAS";
  const blas: Blas = {
    path,
    name,
    config,
    threads: () => s.openblas_get_num_threads?.() ?? null,
    setThreads(count) {
      if (s.openblas_set_num_threads == null) return false;
      if (!Number.isInteger(count) || count < 1) {
        throw new Error(`BLAS threads: expected an integer >= 1, got ${JSON.stringify(count)}`);
      }
      s.openblas_set_num_threads(count);
      return true;
    },
    sgemm: (call) => sgemm(s, call),
  };
  // A broken library (wrong ABI, 64-bit integers) shows in one 2 x 2 product.
  const a = Float32Array.of(1, 2, 3, 4);
  const c = new Float32Array(4);
  blas.sgemm({ m: 2, n: 2, k: 2, a, b: a, c });
  if (c.join() !== "7,10,15,22") {
    lib.close();
    throw new Error(`cblas_sgemm gave [${c.join(", ")}] for [1, 2; 3, 4]^2, not [7, 10; 15, 22]`);
  }
  return blas;
}

/**
 * Single-row products of fewer weights than this run on one OpenBLAS thread: the tutorial's
 * 128 x 512 recurrent kernel gains nothing from a second thread, and in generation the woken
 * threads slowed the rest; the classic 512 x 2048 kernels gain from it (measurements in
 * `docs/performance.md`).
 */
const SMALL_ROW_PRODUCT = 1 << 17;

function sgemm(s: BlasSymbols, call: SgemmCall): void {
  const { m, n, k, a, b, c } = call;
  const transA = call.transA === true;
  const transB = call.transB === true;
  const lda = call.lda ?? (transA ? m : k);
  const ldb = call.ldb ?? (transB ? k : n);
  const ldc = call.ldc ?? n;
  if (m === 0 || n === 0) return;
  // Rows and stored width of each operand, as stored.
  need("A", a, transA ? k : m, transA ? m : k, lda);
  need("B", b, transB ? n : k, transB ? k : n, ldb);
  need("C", c, m, n, ldc);
  if (m === 1 && s.cblas_sgemv != null) {
    rowProduct(s, call, { transA, lda, transB, ldb });
    return;
  }
  s.cblas_sgemm(
    ROW_MAJOR,
    transA ? TRANS : NO_TRANS,
    transB ? TRANS : NO_TRANS,
    m,
    n,
    k,
    call.alpha ?? 1,
    a,
    lda,
    b,
    ldb,
    call.beta ?? 0,
    c,
    ldc,
  );
}

/**
 * {@linkcode sgemm} of one row (m = 1) as the library's matrix-vector product, which reads B
 * several times faster than its matrix product does for a single row (measured in
 * `docs/performance.md`). The row is op(A)'s only row: with transA it is A's first column,
 * `lda` floats apart. C is zeroed first for beta 0, as sgemm does not read it then (some
 * OpenBLAS versions scale y by beta, keeping a NaN found there). A small product runs on one
 * thread: waking OpenBLAS's other threads costs more than they save (the tutorial model
 * generated slower with them on 2 cores).
 */
function rowProduct(
  s: BlasSymbols,
  call: SgemmCall,
  layout: { transA: boolean; lda: number; transB: boolean; ldb: number },
): void {
  const { n, k, a, b, c } = call;
  const { transA, lda, transB, ldb } = layout;
  const threads = n * k < SMALL_ROW_PRODUCT ? s.openblas_get_num_threads?.() ?? 1 : 1;
  if (threads > 1) s.openblas_set_num_threads?.(1);
  const beta = call.beta ?? 0;
  if (beta === 0) c.fill(0, 0, n);
  s.cblas_sgemv!(
    ROW_MAJOR,
    transB ? NO_TRANS : TRANS,
    transB ? n : k,
    transB ? k : n,
    call.alpha ?? 1,
    b,
    ldb,
    a,
    transA ? lda : 1,
    beta,
    c,
    1,
  );
  if (threads > 1) s.openblas_set_num_threads?.(threads);
}

/** Throws unless `x` holds `rows` rows of `cols` floats `stride` apart. */
function need(
  name: string,
  x: Float32Array,
  rows: number,
  cols: number,
  stride: number,
): void {
  if (rows === 0 || cols === 0) return;
  if (stride < cols || x.length < (rows - 1) * stride + cols) {
    throw new Error(
      `sgemm: expected ${name} with ${rows} rows of ${cols} floats (row stride ${stride}), ` +
        `got ${x.length} floats`,
    );
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].replace(/^(Could not open library: )+/, "").trim();
}

/** The BLAS the fused LSTM uses now (set by `selectBackend`), or `null`. */
let active: Blas | null = null;

/**
 * Sets the BLAS the fused LSTM runs its products on (`null`: the tfjs backend's, as without
 * one). `selectBackend` calls it; tests call it to compare paths.
 */
export function setActiveBlas(blas: Blas | null): void {
  active = blas;
}

/** The BLAS the fused LSTM runs its products on, or `null` (see {@linkcode setActiveBlas}). */
export function activeBlas(): Blas | null {
  return active;
}
