import assert from "node:assert/strict";
import { findCycle } from "../../lib/judge/cycle.ts";

Deno.test("findCycle() finds the first window that comes back, with the loop it starts", () => {
  // windows of 2: [1,2] [2,3] [3,4] [4,2] [2,3] <- repeats the window at 1
  assert.deepEqual(findCycle([1, 2, 3, 4, 2, 3, 4, 2], { windowLength: 2 }), {
    start: 1,
    repeatAt: 4,
    period: 3,
    loop: [2, 3, 4],
  });
  // one token repeated: a loop of one once the window is all that token
  assert.deepEqual(findCycle(["A4", "E4", "E4", "E4", "E4"], { windowLength: 3 }), {
    start: 1,
    repeatAt: 2,
    period: 1,
    loop: ["E4"],
  });
});

Deno.test("findCycle() gives null when no window repeats, and compares whole windows", () => {
  assert.equal(findCycle([1, 2, 3, 1, 2, 4], { windowLength: 3 }), null);
  assert.equal(findCycle(["1.2", "3", "1", "2.3"], { windowLength: 2 }), null);
  assert.equal(findCycle([5, 5], { windowLength: 3 }), null);
});

Deno.test("findCycle() names windowLength when it is not a positive integer", () => {
  assert.throws(
    () => findCycle([1], { windowLength: 0 }),
    /windowLength: expected a positive integer, got 0/,
  );
});
