import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../_helpers.ts";
import { runScript, tinyClassic, tinyTutorial, writeJson, writeTinyCorpus } from "../_tiny_runs.ts";

const TRAIN = "lib/commands/train.ts";
const GENERATE = "lib/commands/generate.ts";

/** Asserts a command failed with exit code 2 and an error line matching `pattern`. */
function assertFails(result: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 2, `expected exit code 2, got ${result.code}: ${result.stderr}`);
  assert.match(result.stderr, /^error: /m);
  assert.match(result.stderr, pattern);
}

const dir = tempDir();
const data = writeTinyCorpus(join(dir, "data"));
const tutorialRun = join(dir, "tutorial-run");
const classicRun = join(dir, "classic-run");

Deno.test("train CLI trains a tiny run from a config file and prints the backend, epochs and files", async () => {
  const config = writeJson(dir, "tutorial.json", tinyTutorial(data));
  const result = await runScript(TRAIN, ["--config", config, "--run-dir", tutorialRun, "--quick"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^backend: cpu/m);
  assert.match(result.stdout, /^data: .*: 4 files, 320 notes; 0 skipped$/m);
  assert.match(result.stdout, /^epoch 1\/2 .*loss/m);
  assert.match(result.stdout, /^epoch 2\/2 /m);
  for (const file of ["config.json", "run.json", "history.json", "model", "resume"]) {
    assert.ok(result.stdout.includes(join(tutorialRun, file)), `output does not name ${file}`);
  }
  const saved = JSON.parse(await Deno.readTextFile(join(tutorialRun, "config.json")));
  assert.equal(saved.train.epochs, 2, "--quick did not shorten training");
  assert.equal(saved.run, "tutorial-run");
});

Deno.test("train CLI on wasm with TFJS_WASM_THREADS=2 gives the BLAS (else wasm) two threads and records them in run.json", async () => {
  const config = writeJson(dir, "tutorial-wasm.json", { ...tinyTutorial(data), backend: "wasm" });
  const runDir = join(dir, "tutorial-wasm-run");
  const result = await runScript(
    TRAIN,
    ["--config", config, "--run-dir", runDir, "--quick"],
    { TFJS_WASM_THREADS: "2" },
  );
  assert.equal(result.code, 0, result.stderr);
  const provenance = JSON.parse(await Deno.readTextFile(join(runDir, "run.json")));
  assert.equal(provenance.sessions[0].backend, "wasm");
  const blas = provenance.sessions[0].blas;
  if (blas === null) {
    // No BLAS: the wasm backend runs the two threads.
    assert.match(result.stdout, /^backend: wasm \(.*wasm, 2 threads; LSTM products on wasm .*\)$/m);
    assert.equal(provenance.sessions[0].wasmThreads, 2);
  } else {
    // The BLAS runs the two threads, the wasm backend one; the reason says so and ends with
    // where the LSTM's products ran.
    assert.match(
      result.stdout,
      /^backend: wasm \(.*the BLAS takes the 2 threads; wasm, 1 thread; LSTM products on .*2 threads\)$/m,
    );
    assert.equal(provenance.sessions[0].wasmThreads, 1);
    assert.ok([2, null].includes(blas.threads), `run.json blas: ${JSON.stringify(blas)}`);
  }
});

Deno.test("train CLI flags override the config file: family, preset, lstm, seed and epochs", async () => {
  const config = writeJson(dir, "classic.json", tinyClassic(data));
  const result = await runScript(TRAIN, [
    "--config",
    config,
    "--family",
    "classic",
    "--preset",
    "classic-small",
    "--lstm",
    "fused",
    "--seed",
    "5",
    "--epochs",
    "1",
    "--run-dir",
    classicRun,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const saved = JSON.parse(await Deno.readTextFile(join(classicRun, "config.json")));
  assert.equal(saved.family, "classic");
  assert.equal(saved.lstm, "fused");
  assert.equal(saved.seed, 5);
  assert.equal(saved.train.epochs, 1);
  assert.ok(result.stdout.includes(join(classicRun, "vocabulary.json")));
});

Deno.test("generate CLI writes the same MIDI bytes for the same seed and other bytes for another", async () => {
  const outs = ["a.mid", "b.mid", "c.mid"].map((n) => join(dir, n));
  const seeds = ["3", "3", "4"];
  for (const [i, out] of outs.entries()) {
    const result = await runScript(GENERATE, [
      "--run",
      tutorialRun,
      "--seed",
      seeds[i],
      "--notes",
      "20",
      "--temperature",
      "1.5",
      "--out",
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim().split("\n").at(-1), out);
  }
  const [a, b, c] = outs.map((p) => Deno.readFileSync(p));
  assert.ok(a.length > 50);
  assert.deepEqual(b, a);
  assert.notDeepEqual(c, a);
  const classic = await runScript(GENERATE, ["--run", classicRun, "--tokens", "12"]);
  assert.equal(classic.code, 0, classic.stderr);
  const path = classic.stdout.trim().split("\n").at(-1)!;
  assert.ok(path.startsWith(join(classicRun, "outputs")), path);
  assert.ok(Deno.statSync(path).size > 20);
});

Deno.test("train CLI names model.sequenceLength of both families when windows are longer than the data", async () => {
  const tutorial = writeJson(
    dir,
    "long.json",
    tinyTutorial(data, { model: { sequenceLength: 500 } }),
  );
  assertFails(
    await runScript(TRAIN, ["--config", tutorial, "--run-dir", join(dir, "x")]),
    /model\.sequenceLength: windows of 500 notes need a training file of at least 501 notes, but the longest .* has 80/,
  );
  const classic = writeJson(
    dir,
    "long2.json",
    tinyClassic(data, { model: { sequenceLength: 900 } }),
  );
  assertFails(
    await runScript(TRAIN, ["--config", classic, "--run-dir", join(dir, "x")]),
    /model\.sequenceLength: windows of 900 tokens/,
  );
});

Deno.test("train CLI names an unknown preset, a preset for the tutorial family and a missing data folder", async () => {
  assertFails(
    await runScript(TRAIN, ["--family", "classic", "--preset", "huge", "--quick"]),
    /model preset: expected one of "lstm3x512-adam", .*"lstm2x256-cpu" \(or an older name: "classic", "classic-bn", "classic-small"\), got "huge"/,
  );
  assertFails(
    await runScript(TRAIN, ["--family", "tutorial", "--preset", "classic"]),
    /--preset: model presets belong to the classic family/,
  );
  const missing = join(dir, "no-such-folder");
  assertFails(
    await runScript(TRAIN, ["--family", "tutorial", "--data", missing, "--backend", "cpu"]),
    new RegExp(`data folder ${missing}: not found`),
  );
  assertFails(
    await runScript(TRAIN, ["--config", join(dir, "nope.json")]),
    /--config .*nope\.json: cannot read it/,
  );
  assertFails(
    await runScript(TRAIN, ["--family", "tutorial", "--epochs", "zero"]),
    /--epochs: expected an integer, got "zero"/,
  );
});

Deno.test("train CLI --resume keeps the run's settings and names a flag that would change them", async () => {
  assertFails(
    await runScript(TRAIN, ["--resume", "--run-dir", tutorialRun, "--seed", "9"]),
    /--seed: a resumed run keeps the settings of .*config\.json/,
  );
  assertFails(await runScript(TRAIN, ["--resume"]), /--resume: needs --run-dir DIR/);
  const more = await runScript(TRAIN, ["--resume", "--run-dir", tutorialRun, "--epochs", "3"]);
  assert.equal(more.code, 0, more.stderr);
  assert.match(more.stdout, /resuming after epoch 2/);
  assert.match(more.stdout, /^epoch 3\/3 /m);
  assert.doesNotMatch(more.stdout, /^epoch [12]\/3 /m);
  const history = JSON.parse(await Deno.readTextFile(join(tutorialRun, "history.json")));
  assert.deepEqual(history.epoch, [1, 2, 3]);
});

Deno.test("generate CLI names --temperature, a missing data folder and weights of the other family", async () => {
  assertFails(
    await runScript(GENERATE, ["--run", tutorialRun, "--temperature", "0"]),
    /--temperature: expected a number above 0 or argmax, got 0/,
  );
  assertFails(
    await runScript(GENERATE, ["--run", tutorialRun, "--data", join(dir, "gone")]),
    /data folder .*gone: not found/,
  );
  assertFails(
    await runScript(GENERATE, ["--run", classicRun, "--family", "tutorial"]),
    /family: expected a tutorial-family run, but .*config\.json says "classic"/,
  );
  assertFails(
    await runScript(GENERATE, ["--run", join(dir, "nothing")]),
    /cannot read config\.json/,
  );
  // A tutorial config.json beside a classic model: the weights are refused, not misread.
  const mixed = join(dir, "mixed-run");
  Deno.mkdirSync(mixed);
  Deno.copyFileSync(join(tutorialRun, "config.json"), join(mixed, "config.json"));
  Deno.mkdirSync(join(mixed, "model"));
  for (const entry of Deno.readDirSync(join(classicRun, "model"))) {
    Deno.copyFileSync(join(classicRun, "model", entry.name), join(mixed, "model", entry.name));
  }
  assertFails(
    await runScript(GENERATE, ["--run", mixed]),
    /the weights in .*mixed-run\/model are from a classic-family model, but config\.json says tutorial/,
  );
});

Deno.test("cli tests clean up their temporary folder", async () => {
  await Deno.remove(dir, { recursive: true });
  assert.throws(() => Deno.statSync(dir), Deno.errors.NotFound);
});
