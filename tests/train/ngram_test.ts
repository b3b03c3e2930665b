import assert from "node:assert/strict";
import {
  fitNgram,
  type NgramBaseline,
  ngramCrossEntropy,
  ngramDistribution,
  ngramScore,
  type NgramSmoothing,
  selectNgram,
} from "../../lib/train/ngram.ts";
import { mulberry32 } from "../../lib/random/random.ts";

const KN = (discount: number): NgramSmoothing => ({ kind: "kneser-ney", discount });
const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} != ${b}`);

function randomSequences(seed: number, files: number, length: number, classes: number) {
  const random = mulberry32(seed);
  return Array.from(
    { length: files },
    () => Array.from({ length }, () => Math.floor(random() * classes)),
  );
}

Deno.test("fitNgram() bigram probabilities of an alternating sequence match Kneser-Ney by hand", () => {
  // 0 1 0 1 0 1, discount 0.5. Top order (raw): after 0, 1 three times; after 1, 0 twice.
  // Order 1 (continuation): 0 follows {1, start} -> 2, 1 follows {0} -> 1; total 3, 2 types.
  // p1(0) = (2 - .5 + .5 * 2 / 2) / 3 = 2/3, p1(1) = (1 - .5 + .5) / 3 = 1/3.
  // p2(1|0) = (3 - .5 + .5 * 1 * 1/3) / 3 = 8/9, p2(0|0) = .5 * 2/3 / 3 = 1/9,
  // p2(0|1) = (2 - .5 + .5 * 2/3) / 2 = 11/12.
  const model = fitNgram([[0, 1, 0, 1, 0, 1]], { classes: 2, order: 2, smoothing: KN(0.5) });
  const after0 = ngramDistribution(model, [0]);
  close(after0[1], 8 / 9, "p(1|0)");
  close(after0[0], 1 / 9, "p(0|0)");
  close(ngramDistribution(model, [1])[0], 11 / 12, "p(0|1)");
  // A held-out 0 1 0 1 scored from position 1 on; position 0 has no context and reads the
  // raw unigram: (3 - .5 + .5 * 2 / 2) / 6 = 1/2.
  const labels = { sequences: [[0, 1, 0, 1]], sequence: [0, 0, 0], position: [1, 2, 3] };
  const want = -(Math.log(8 / 9) + Math.log(11 / 12) + Math.log(8 / 9)) / 3;
  close(ngramScore(model, labels), want, "cross-entropy");
  close(
    ngramScore(model, { sequences: [[0, 1]], sequence: [0], position: [0] }),
    Math.log(2),
    "first label, no context",
  );
});

Deno.test("fitNgram() of order 1 is the unigram with discounted counts spread evenly", () => {
  // Counts 3, 1, 0, 0 of 4 labels, discount 0.75: p(w) = (max(c - .75, 0) + .75 * 2 / 4) / 4.
  const model = fitNgram([[0, 0, 1, 0]], { classes: 4, order: 1, smoothing: KN(0.75) });
  const want = [3, 1, 0, 0].map((c) => (Math.max(c - 0.75, 0) + 0.75 * 2 / 4) / 4);
  const got = ngramDistribution(model, [2, 3, 1]);
  want.forEach((p, w) => close(got[w], p, `p(${w})`));
  // The context does not matter at order 1.
  assert.deepEqual(ngramDistribution(model, []), got);
});

Deno.test("a strength moves weight from the counts to the shorter context, by hand", () => {
  // 0 1 0 1 0 1 as above, discount .5, strength 2: p1(0) = (1.5 + (1 + 2) / 2) / (3 + 2) = 3/5,
  // p1(1) = 2/5; p2(1|0) = (2.5 + (.5 + 2) * 2/5) / (3 + 2) = 7/10.
  const model = fitNgram([[0, 1, 0, 1, 0, 1]], {
    classes: 2,
    order: 2,
    smoothing: { kind: "kneser-ney", discount: 0.5, strength: 2 },
  });
  close(ngramDistribution(model, [0])[1], 7 / 10, "p(1|0)");
  close(ngramDistribution(model, [0])[0], 3 / 10, "p(0|0)");
});

Deno.test("perFile caps how often one file counts an n-gram", () => {
  // File 1 repeats 0 -> 1 four times, file 2 has 0 -> 2 once. Counted once per file, both
  // follow 0 once: p(1|0) = p(2|0).
  const files = [[0, 1, 0, 1, 0, 1, 0, 1], [0, 2]];
  const smoothing = (perFile: number | null): NgramSmoothing => ({
    kind: "kneser-ney",
    discount: 0.5,
    perFile,
  });
  const once = ngramDistribution(
    fitNgram(files, { classes: 3, order: 2, smoothing: smoothing(1) }),
    [0],
  );
  close(once[1], once[2], "once per file");
  const all = ngramDistribution(
    fitNgram(files, { classes: 3, order: 2, smoothing: smoothing(null) }),
    [0],
  );
  assert.ok(all[1] > 3 * all[2]);
  // By hand, once per file: the context 0 has total 2, two types; continuation counts of
  // 0, 1, 2 are 2 (start, after 1), 1, 1: p1 = (1.5 + .5 * 3/3) / 4 = .5, (.5 + .5) / 4 = .25.
  // p2(1|0) = (1 - .5 + .5 * 2 * .25) / 2 = .375.
  close(once[1], 0.375, "p(1|0) once per file");
  assert.throws(
    () => fitNgram(files, { classes: 3, smoothing: smoothing(0) }),
    /smoothing\.perFile: expected a positive integer or null, got 0/,
  );
});

Deno.test("ngramDistribution() sums to 1 with no zero for every context, order and smoothing", () => {
  const classes = 7;
  const train = randomSequences(3, 6, 40, 5); // labels 5 and 6 never occur
  const smoothings: NgramSmoothing[] = [
    { kind: "modified-kneser-ney" },
    KN(0.3),
    KN(1),
    { kind: "modified-kneser-ney", strength: 3, perFile: 1 },
    { kind: "kneser-ney", discount: 0.7, strength: 0.5, perFile: 2 },
  ];
  const random = mulberry32(9);
  for (const smoothing of smoothings) {
    for (let order = 1; order <= 5; order++) {
      const model = fitNgram(train, { classes, order, smoothing });
      const contexts = [
        [],
        [1],
        train[0].slice(3, 8),
        [6, 6, 6, 6],
        ...Array.from({ length: 20 }, () => [0, 1, 2, 3].map(() => Math.floor(random() * 7))),
      ];
      for (const context of contexts) {
        const p = ngramDistribution(model, context);
        const sum = p.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-9, `order ${order}, ${smoothing.kind}: sum ${sum}`);
        assert.ok(p.every((x) => x > 0), `order ${order}, ${smoothing.kind}: a zero`);
      }
    }
  }
});

Deno.test("fitNgram() never counts a context across the end of one sequence into the next", () => {
  const opts = { classes: 4, order: 2, smoothing: KN(0.5) };
  const apart = fitNgram([[0, 1], [2, 3]], opts);
  const joined = fitNgram([[0, 1, 2, 3]], opts);
  // Apart, 1 is never followed by anything: p(2|1) is order 1's continuation count of 2
  // (1: after a file's start) with discount .5: (1 - .5 + .5 * 4 / 4) / 4.
  close(ngramDistribution(apart, [1])[2], 0.25, "p(2|1) apart");
  assert.ok(ngramDistribution(joined, [1])[2] > 0.5);
  assert.ok(ngramDistribution(apart, [1])[2] < 0.5);
});

Deno.test("ngramScore() never reads more context than maxContext", () => {
  // Order 3 on 0 0 1 1 repeated: (0,0)->1, (0,1)->1, (1,1)->0, (1,0)->0 always, but one
  // label before is ambiguous.
  const train = [Array.from({ length: 40 }, (_, i) => (i % 4 < 2 ? 0 : 1))];
  const model = fitNgram(train, { classes: 2, order: 3 });
  const labels = { sequences: [[0, 0, 1, 1, 0, 0]], sequence: [0, 0, 0], position: [2, 3, 4] };
  const full = ngramScore(model, labels);
  const short = ngramScore(model, labels, { maxContext: 1 });
  const bigram = ngramScore(fitNgram(train, { classes: 2, order: 2 }), labels);
  assert.ok(full < 0.1, `full context: ${full}`);
  assert.ok(short > 0.4, `one label of context: ${short}`);
  close(short, bigram, "cut to one label of context = a bigram");
});

Deno.test("selectNgram() picks a longer context for music that needs one, and order 1 for noise", () => {
  const periodic = Array.from(
    { length: 20 },
    (_, f) => Array.from({ length: 30 + f }, (_, i) => ((i + f) % 4 < 2 ? 0 : 1)),
  );
  const chosen = selectNgram(periodic, { classes: 2 });
  assert.ok(chosen.order >= 3, `order ${chosen.order}`);
  assert.equal(chosen.candidates.length, 5 * 48);
  // Ten folds (every position of every file, 30 + f notes in file f), as the corpus is small;
  // with a lower minimum, the first fold only: files 9 and 19.
  assert.equal(chosen.tuningLabels, 20 * 30 + 190);
  assert.equal(chosen.tuningFolds, 10);
  const oneFold = selectNgram(periodic, { classes: 2, minTuningLabels: 1 });
  assert.deepEqual([oneFold.tuningLabels, oneFold.tuningFolds], [39 + 49, 1]);
  // Uniform noise over 20 labels, too little of it for 20 contexts: longer contexts overfit.
  const noise = selectNgram(randomSequences(1, 30, 40, 20), { classes: 20 });
  assert.equal(noise.order, 1);
  assert.ok(Math.abs(noise.tuningNats! - Math.log(20)) < 0.05);
});

Deno.test("selectNgram() leaves out orders longer than maxContext + 1 and scores from firstLabel", () => {
  const train = randomSequences(2, 10, 50, 4);
  const chosen = selectNgram(train, { classes: 4, maxContext: 2 });
  assert.deepEqual([...new Set(chosen.candidates.map((c) => c.order))], [1, 2, 3]);
  // Each of the ten files tunes once, scored from position 2 (maxContext) on.
  assert.equal(chosen.tuningLabels, 10 * 48);
  assert.equal(selectNgram(train, { classes: 4, firstLabel: 10 }).tuningLabels, 10 * 40);
  assert.throws(
    () => selectNgram(train, { classes: 4, orders: [4, 5], maxContext: 1 }),
    /orders: none of \[4,5\] is at most 2/,
  );
});

Deno.test("ngramCrossEntropy() chooses on the training files alone: held-out labels change nothing but the score", () => {
  const train = randomSequences(5, 20, 60, 6).map((s) => s.map((y, i) => (i % 3 ? y : 0)));
  const heldOutA = randomSequences(6, 3, 40, 6);
  const heldOutB = heldOutA.map((s) => s.map((y) => (y + 1) % 6));
  const positions = { sequence: [0, 1, 2, 2], position: [10, 11, 12, 39] };
  const options = { classes: 6, maxContext: 10 };
  const a = ngramCrossEntropy({ train, heldOut: { sequences: heldOutA, ...positions } }, options);
  const b = ngramCrossEntropy({ train, heldOut: { sequences: heldOutB, ...positions } }, options);
  const pick = (r: NgramBaseline) => ({ order: r.order, smoothing: r.smoothing, t: r.tuningNats });
  assert.deepEqual(pick(a), pick(b));
  assert.notEqual(a.nats, b.nats);
  assert.equal(a.labels, 4);
  // The score is the refit model's on exactly those labels.
  const model = fitNgram(train, { classes: 6, order: a.order, smoothing: a.smoothing });
  close(
    a.nats,
    ngramScore(model, { sequences: heldOutA, ...positions }, { maxContext: 10 }),
    "refit score",
  );
});

Deno.test("selectNgram() pools the cross-entropy of every fold, each fitted on the other files", () => {
  const [a, b] = randomSequences(4, 2, 30, 3);
  const smoothing = KN(0.5);
  const chosen = selectNgram([a, b], { classes: 3, orders: [2], smoothings: [smoothing] });
  const score = (fit: number[], tune: number[]) =>
    ngramScore(fitNgram([fit], { classes: 3, order: 2, smoothing }), {
      sequences: [tune],
      sequence: tune.map(() => 0),
      position: tune.map((_, p) => p),
    });
  assert.equal(chosen.tuningFolds, 2);
  close(chosen.tuningNats!, (score(a, b) + score(b, a)) / 2, "pooled folds");
});

Deno.test("a single training file is split into a fitting head and a tuning tail", () => {
  const chosen = selectNgram([Array.from({ length: 100 }, (_, i) => i % 3)], { classes: 3 });
  assert.deepEqual([chosen.tuningLabels, chosen.tuningFolds], [10, 1]);
  assert.ok(chosen.order >= 2);
  const tiny = selectNgram([[1]], { classes: 3 });
  assert.deepEqual([tiny.order, tiny.tuningNats, tiny.tuningLabels], [1, null, 0]);
});

Deno.test("the n-gram functions name bad labels, positions and settings", () => {
  assert.throws(
    () => fitNgram([[0, 1], [2, 5]], { classes: 4 }),
    /sequence 1, position 1: expected a label in 0\.\.3, got 5/,
  );
  assert.throws(() => fitNgram([[0]], { classes: 0 }), /classes: expected a positive integer/);
  assert.throws(() => fitNgram([[0]], { classes: 2, order: 0 }), /order: expected an integer/);
  assert.throws(
    () => fitNgram([[0]], { classes: 2, smoothing: KN(1.5) }),
    /smoothing\.discount: expected a number in \(0, 1\], got 1\.5/,
  );
  const model = fitNgram([[0, 1]], { classes: 2 });
  assert.throws(
    () => ngramScore(model, { sequences: [[0, 1]], sequence: [0], position: [2] }),
    /label 0: expected a position in 0\.\.1 of sequence 0, got 2/,
  );
  assert.throws(
    () => ngramScore(model, { sequences: [[0, 1]], sequence: [1], position: [0] }),
    /label 0: expected a sequence number in 0\.\.0, got 1/,
  );
  assert.throws(
    () => ngramScore(model, { sequences: [[0, 1]], sequence: [], position: [] }),
    /expected held-out labels, got none/,
  );
  assert.throws(
    () =>
      ngramCrossEntropy({
        train: [[0, 1]],
        heldOut: { sequences: [[0, 7]], sequence: [0], position: [1] },
      }, { classes: 2 }),
    /heldOut: sequence 0, position 1: expected a label in 0\.\.1, got 7/,
  );
  assert.throws(() => selectNgram([], { classes: 2 }), /expected training sequences, got none/);
});
