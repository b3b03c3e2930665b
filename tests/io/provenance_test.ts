import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { resolveConfig } from "../../lib/config/config.ts";
import { readRunProvenance, recordRunSession, type RunBaselines } from "../../lib/io/provenance.ts";
import { tempDir } from "../_helpers.ts";

await tf.setBackend("cpu");

const BASELINES: RunBaselines = {
  compareWith: "val_pitch_loss",
  label: "pitch",
  classes: 128,
  unigram: 2.7,
  ngram: {
    nats: 1.9,
    order: 4,
    smoothing: { kind: "kneser-ney", discount: 0.8, strength: 2, perFile: 1 },
    tuningNats: 2,
    labels: 10,
  },
};

Deno.test("recordRunSession() keeps the baselines in run.json, and a resumed session without them keeps the recorded ones", async () => {
  const runDir = join(tempDir(), "run");
  const config = resolveConfig({ family: "tutorial" });
  const input = {
    config,
    data: { files: 2, skipped: 0, fingerprint: "abc" },
    normalisation: {},
  };
  await recordRunSession(runDir, { ...input, fromEpoch: 0, baselines: BASELINES });
  assert.deepEqual((await readRunProvenance(runDir))!.baselines, BASELINES);
  await recordRunSession(runDir, { ...input, fromEpoch: 3 });
  const resumed = (await readRunProvenance(runDir))!;
  assert.equal(resumed.sessions.length, 2);
  assert.deepEqual(resumed.baselines, BASELINES);
  // A fresh run without baselines (nothing held out) records none.
  await recordRunSession(runDir, { ...input, fromEpoch: 0, baselines: null });
  assert.equal("baselines" in (await readRunProvenance(runDir))!, false);
});
