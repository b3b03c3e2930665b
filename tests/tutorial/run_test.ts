import assert from "node:assert/strict";
import { resolveTutorialConfig } from "../../lib/config/config.ts";
import { tutorialLoss } from "../../lib/tutorial/model.ts";
import { tutorialHeads, tutorialLossSpec } from "../../lib/tutorial/run.ts";
import { denseHeadsBatchLoss } from "../../lib/engine/heads_batch_loss.ts";

Deno.test("tutorialHeads() gives the three heads with tutorialLoss's losses and the config's weights", () => {
  const config = resolveTutorialConfig({
    model: { lossWeights: { pitch: 0.05, step: 1, duration: 2 } },
  });
  assert.deepEqual(tutorialHeads(config), [
    { name: "pitch", kind: "crossentropyFromLogits", weight: 0.05 },
    { name: "step", kind: "mseWithPositivePressure", weight: 1 },
    { name: "duration", kind: "mseWithPositivePressure", weight: 2 },
  ]);
});

Deno.test("tutorialLossSpec() names tutorialLoss of model.ts with the config, and the engine's batch loss over tutorialHeads", async () => {
  const config = resolveTutorialConfig();
  const spec = tutorialLossSpec(config);
  const module = await import(spec.module);
  assert.equal(module[spec.name], tutorialLoss);
  assert.deepEqual(spec.args, [config]);
  const batchLoss = spec.batchLoss!;
  assert.equal((await import(batchLoss.module))[batchLoss.name], denseHeadsBatchLoss);
  assert.deepEqual(batchLoss.args, [tutorialHeads(config)]);
});
