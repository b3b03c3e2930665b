/**
 * The benchmark's generation workloads (`bench.ts`): notes/s and tokens/s of both families'
 * models, re-feeding the window against a carried state.
 *
 * @module
 */
import {
  type ChildResult,
  type GenerateCase,
  type GenerateVariant,
  productsNote,
  useBackend,
} from "./_bench_common.ts";

/**
 * Times generation of one model on one backend, per method: re-feeding the window (the
 * lesson's loop) against stepping a carried state (`engine/stateful.ts`).
 *
 * @returns one generation-speed entry per variant
 */
export async function runGenerate(c: GenerateCase): Promise<ChildResult["entries"]> {
  const backendReason = await useBackend(c.backend);
  const { fastModelOptions } = await import("../engine/fast_parts.ts");
  const { mulberry32 } = await import("../random/random.ts");
  const entries: ChildResult["entries"] = [];
  const random = mulberry32(99);
  const models = new Map<string, import("@tensorflow/tfjs").LayersModel>();
  const unit = c.model === "tutorial" ? "notes/s" : "tokens/s";
  let seqLength = 0;
  const getModel = async (impl: "fused" | "layers") => {
    if (!models.has(impl)) {
      if (c.model === "tutorial") {
        const { resolveTutorialConfig } = await import("../config/config.ts");
        const { buildTutorialModel } = await import("../tutorial/model.ts");
        const config = resolveTutorialConfig({ lstm: impl, seed: 42, model: { input: "scaled" } });
        seqLength = config.model.sequenceLength;
        models.set(impl, buildTutorialModel(config, fastModelOptions(config.lstm)));
      } else {
        const { resolveClassicConfig } = await import("../config/config.ts");
        const { buildClassicModel } = await import("../classic/model.ts");
        const config = resolveClassicConfig({
          lstm: impl,
          seed: 42,
          model: { preset: "lstm3x512-rmsprop" },
        });
        const model = buildClassicModel(config, {
          vocabSize: 358,
          ...fastModelOptions(config.lstm),
        });
        seqLength = model.inputs[0].shape[1]!;
        models.set(impl, model);
      }
    }
    return models.get(impl)!;
  };
  const label = (v: GenerateVariant) =>
    v.method === "window"
      ? `window re-feed (${v.impl})`
      : v.method === "carried"
      ? "stateful, carried state"
      : "stateful, exact window";
  const seedNotes = Array.from({ length: 25 }, () => ({
    pitch: 48 + Math.floor(random() * 36),
    step: Math.floor(random() * 4) * 0.125,
    duration: 0.125 + Math.floor(random() * 4) * 0.125,
  }));
  const seedIds = Array.from({ length: 100 }, () => Math.floor(random() * 358));
  /** Runs one generation; returns the outputs and the time of each produced note. */
  const generate = async (v: GenerateVariant, count: number) => {
    const model = await getModel(v.impl);
    const times: number[] = [];
    const t0 = performance.now();
    let picks: number[];
    if (c.model === "tutorial") {
      const { generateNotes } = await import("../tutorial/sample.ts");
      const { generateNotesStateful } = await import("../tutorial/run.ts");
      const options = {
        length: count,
        seed: 7,
        temperature: 2,
        onProgress: () => void times.push(performance.now()),
      };
      const notes = v.method === "window"
        ? generateNotes(model, seedNotes, options)
        : generateNotesStateful(model, seedNotes, {
          ...options,
          memory: v.method === "exact" ? "window" : "carried",
        });
      picks = notes.map((n) => n.pitch);
    } else {
      const { generateTokens } = await import("../classic/sample.ts");
      const { generateTokensStateful } = await import("../classic/run.ts");
      const options = {
        length: count,
        seed: 7,
        temperature: 0.8,
        onProgress: () => void times.push(performance.now()),
      };
      picks = v.method === "window"
        ? generateTokens(model, seedIds, options)
        : generateTokensStateful(model, seedIds, {
          ...options,
          memory: v.method === "exact" ? "window" : "carried",
        });
    }
    return { picks, times, t0 };
  };
  for (const v of c.variants) {
    await generate(v, 2); // compiles kernels, JIT
    const { picks, times, t0 } = await generate(v, v.count);
    const rate = (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000);
    let notes = `${v.count} ${unit.split("/")[0]} after a seed window of ${seqLength}; ` +
      `rate between the first and the last; first after ${(times[0] - t0).toFixed(0)} ms`;
    if (v.method === "carried") {
      notes += "; same picks as the window method: first only (the state remembers older notes)";
    }
    if (v.method === "exact") {
      const reference = await generate({ ...v, method: "window" }, Math.min(v.count, 30));
      const same = reference.picks.every((p, i) => p === picks[i]);
      notes += `; first ${reference.picks.length} picks ${
        same ? "identical to" : "DIFFER from"
      } the window method's`;
    }
    entries.push({
      workload: `generate ${c.model}`,
      backend: c.backend,
      implementation: label(v),
      figure: "generation speed",
      unit,
      value: rate,
      status: "ok",
      notes: notes + productsNote(backendReason),
    });
  }
  return entries;
}
