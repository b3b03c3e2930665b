import assert from "node:assert/strict";
import { tutorialLoss } from "../../lib/tutorial/model.ts";
import { tutorialHeads, tutorialLossSpec } from "../../lib/tutorial/run.ts";
import { denseHeadsBatchLoss } from "../../lib/engine/heads_batch_loss.ts";

Deno.test("tutorialHeads() gives the three heads with tutorialLoss's losses and weights", () => {
  assert.deepEqual(tutorialHeads({ pitch: 0.05, step: 1, duration: 2 }), [
    { name: "pitch", kind: "crossentropyFromLogits", weight: 0.05 },
    { name: "step", kind: "mseWithPositivePressure", weight: 1 },
    { name: "duration", kind: "mseWithPositivePressure", weight: 2 },
  ]);
});

Deno.test("tutorialLossSpec() names tutorialLoss of model.ts with its weights, and the engine's batch loss over tutorialHeads", async () => {
  const weights = { pitch: 0.05, step: 1, duration: 1 };
  const spec = tutorialLossSpec(weights);
  const module = await import(spec.module);
  assert.equal(module[spec.name], tutorialLoss);
  assert.deepEqual(spec.args, [weights]);
  const batchLoss = spec.batchLoss!;
  assert.equal((await import(batchLoss.module))[batchLoss.name], denseHeadsBatchLoss);
  assert.deepEqual(batchLoss.args, [tutorialHeads(weights)]);
});
