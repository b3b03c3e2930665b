import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { activeBlas, type Blas, setActiveBlas } from "../../lib/engine/blas.ts";
import {
  BLAS_MIN_MULTIPLY_ADDS,
  JS_PRODUCT_MAX_WEIGHTS,
  productPlace,
} from "../../lib/engine/_product_place.ts";
import { selectBackend } from "../../lib/engine/backend.ts";

await selectBackend({ backend: "cpu" });

/** A stand-in BLAS: only its being active matters here, its products are never called. */
const STAND_IN = { path: "test", name: "test" } as unknown as Blas;

/** Runs `f` with `blas` active (`null`: none), then puts back the BLAS active before. */
function withBlas<T>(blas: Blas | null, f: () => T): T {
  const before = activeBlas();
  setActiveBlas(blas);
  try {
    return f();
  } finally {
    setActiveBlas(before);
  }
}

Deno.test("productPlace() on the cpu backend without a BLAS: JS for sequences and rows, the backend for heads and wasm kernels", () => {
  assert.equal(tf.getBackend(), "cpu");
  withBlas(null, () => {
    assert.equal(productPlace("sequence"), "js");
    assert.equal(productPlace("heads"), "backend");
    assert.equal(productPlace("row", { weights: JS_PRODUCT_MAX_WEIGHTS + 1 }), "js");
    assert.equal(productPlace("wasmKernel", { multiplyAdds: BLAS_MIN_MULTIPLY_ADDS }), "backend");
  });
});

Deno.test("productPlace() with a BLAS: sequences and heads on it, rows and wasm kernels only above their thresholds", () => {
  withBlas(STAND_IN, () => {
    assert.equal(productPlace("sequence"), "blas");
    assert.equal(productPlace("heads"), "blas");
    assert.equal(productPlace("row", { weights: JS_PRODUCT_MAX_WEIGHTS }), "js");
    assert.equal(productPlace("row", { weights: JS_PRODUCT_MAX_WEIGHTS + 1 }), "blas");
    assert.equal(
      productPlace("wasmKernel", { multiplyAdds: BLAS_MIN_MULTIPLY_ADDS - 1 }),
      "backend",
    );
    assert.equal(productPlace("wasmKernel", { multiplyAdds: BLAS_MIN_MULTIPLY_ADDS }), "blas");
  });
});
