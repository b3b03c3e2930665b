import assert from "node:assert/strict";
import {
  type CellBuffers,
  type CellShape,
  type LstmCell,
  lstmCell,
} from "../../lib/engine/_lstm_cell.ts";
import { LSTM_CELL_WASM_BASE64 } from "../../lib/engine/_lstm_cell_wasm.ts";
import { CELL_WAT_URL, cellModuleSource, compileWat } from "../../lib/commands/build_wasm.ts";
import { mulberry32 } from "../../lib/random/random.ts";

const ARRAYS = [
  "proj",
  "zRec",
  "acts",
  "cs",
  "tanhCs",
  "hIn",
  "packed",
  "stateMask",
  "dy",
  "dhRec",
  "dcNext",
] as const satisfies readonly (keyof CellBuffers)[];

/** Values of scale `std` (sums of uniforms), with every 7th a saturating +-(10 .. 40) if asked. */
function fill(array: Float32Array, random: () => number, std: number, saturate: boolean): void {
  for (let k = 0; k < array.length; k++) {
    const sign = random() < 0.5 ? -1 : 1;
    array[k] = saturate && k % 7 === 3
      ? sign * (10 + 30 * random())
      : std * (random() + random() + random() - 1.5) * 2;
  }
}

/** A wasm cell and a JS cell whose arrays hold the same random values. */
function cellPair(shape: CellShape, seed: number): { wasm: LstmCell; js: LstmCell } {
  const wasm = lstmCell(shape, { kernels: "wasm" });
  const js = lstmCell(shape, { kernels: "js" });
  assert.equal(wasm.kernels, "wasm");
  assert.equal(js.kernels, "js");
  const random = mulberry32(seed);
  for (const name of ARRAYS) {
    // Saturated gate inputs (|z| > 10) come from proj and zRec.
    const gateInput = name === "proj" || name === "zRec";
    fill(js.buffers[name], random, gateInput ? 3 : 1, gateInput);
    wasm.buffers[name].set(js.buffers[name]);
  }
  if (shape.masked) {
    js.buffers.stateMask.forEach((_, k, mask) => (mask[k] = k % 3 === 0 ? 0 : 1.5));
    wasm.buffers.stateMask.set(js.buffers.stateMask);
  }
  return { wasm, js };
}

/** |actual - expected| <= 1e-6 * max(1, |expected|) everywhere. */
function assertArraysClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let k = 0; k < expected.length; k++) {
    const error = Math.abs(actual[k] - expected[k]);
    assert.ok(
      error <= 1e-6 * Math.max(1, Math.abs(expected[k])),
      `${what}[${k}]: ${actual[k]} != ${expected[k]} (error ${error})`,
    );
  }
}

const SHAPES: CellShape[] = [];
for (const hard of [false, true]) {
  for (const masked of [false, true]) {
    SHAPES.push({ batch: 3, seqLength: 4, units: 8, hard, masked });
    SHAPES.push({ batch: 2, seqLength: 1, units: 12, hard, masked });
  }
}

Deno.test("the committed _lstm_cell_wasm.ts is a fresh compile of _lstm_cell.wat", async () => {
  const fresh = await compileWat(await Deno.readTextFile(CELL_WAT_URL), "_lstm_cell.wat");
  const committed = Uint8Array.from(atob(LSTM_CELL_WASM_BASE64), (ch) => ch.charCodeAt(0));
  assert.deepEqual(committed, fresh, "run `deno task build-wasm`");
  const source = await Deno.readTextFile(
    new URL("../../lib/engine/_lstm_cell_wasm.ts", import.meta.url),
  );
  assert.equal(source, cellModuleSource(fresh), "run `deno task build-wasm`");
});

Deno.test("lstmCell() forward steps in wasm equal the JS kernels", () => {
  SHAPES.forEach((shape, n) => {
    const { wasm, js } = cellPair(shape, 100 + n);
    for (let t = 0; t < shape.seqLength; t++) {
      js.forwardStep(t);
      wasm.forwardStep(t);
    }
    const label = JSON.stringify(shape);
    for (const name of ARRAYS) {
      assertArraysClose(wasm.buffers[name], js.buffers[name], `${label} ${name}`);
    }
  });
});

Deno.test("lstmCell() backward steps in wasm equal the JS kernels", () => {
  SHAPES.forEach((shape, n) => {
    const { wasm, js } = cellPair(shape, 200 + n);
    // Activations as a forward pass leaves them (in (0, 1), and exactly 0 or 1 where hard
    // sigmoids saturate), the same in both cells.
    for (let t = 0; t < shape.seqLength; t++) js.forwardStep(t);
    for (const name of ["acts", "cs", "tanhCs", "hIn", "packed"] as const) {
      wasm.buffers[name].set(js.buffers[name]);
    }
    for (let t = shape.seqLength - 1; t >= 0; t--) {
      js.backwardStep(t);
      wasm.backwardStep(t);
    }
    const label = JSON.stringify(shape);
    for (const name of ARRAYS) {
      assertArraysClose(wasm.buffers[name], js.buffers[name], `${label} ${name}`);
    }
  });
});

Deno.test("lstmCell() wasm tanh saturates to +-1 like the JS kernel", () => {
  const shape = { batch: 1, seqLength: 1, units: 16, hard: false, masked: false };
  const { wasm, js } = cellPair(shape, 7);
  const z = [7.8, 7.9, 7.95, 8.5, 9, 9.5, 12, 1e4, Infinity];
  for (const cell of [wasm, js]) {
    const { proj, zRec } = cell.buffers;
    zRec.fill(0);
    // The candidate g (third gate block) of units 0 .. 15: +-z.
    z.forEach((v, j) => (proj[2 * 16 + j] = v));
    z.slice(0, 7).forEach((v, j) => (proj[2 * 16 + 9 + j] = -v));
    cell.forwardStep(0);
  }
  const g = (cell: LstmCell) => cell.buffers.acts.subarray(2 * 16, 3 * 16);
  assertArraysClose(g(wasm), g(js), "g");
  for (let j = 0; j < 16; j++) assert.ok(Math.abs(Math.abs(g(wasm)[j]) - 1) < 1e-6, `g[${j}]`);
});

Deno.test("lstmCell() uses wasm for units divisible by 4 and JS otherwise", () => {
  const shape = { batch: 2, seqLength: 3, units: 6, hard: false, masked: false };
  assert.equal(lstmCell(shape).kernels, "js");
  assert.throws(() => lstmCell(shape, { kernels: "wasm" }), /units divisible by 4.*units 6/);
  assert.equal(lstmCell({ ...shape, units: 8 }).kernels, "wasm");
  assert.equal(lstmCell({ ...shape, units: 8 }, { kernels: "js" }).kernels, "js");
});

Deno.test("lstmCell() hands a released cell's memory to the next cell that fits", () => {
  const shape = { batch: 2, seqLength: 3, units: 8, hard: false, masked: false };
  const first = lstmCell(shape);
  const memory = first.buffers.acts.buffer;
  first.release();
  assert.throws(() => first.forwardStep(0), /released/);
  assert.throws(() => first.backwardStep(0), /released/);
  const second = lstmCell({ ...shape, seqLength: 2 });
  assert.ok(second.buffers.acts.buffer === memory, "the released memory is reused");
  const third = lstmCell(shape);
  assert.ok(third.buffers.acts.buffer !== memory, "a memory in use is not reused");
});
