import { normalOrder } from "./lib/tokens.ts";
const src = await Deno.readTextFile("_scratch_no.ts");
const primes: number[][] = eval(src.split("const primes: number[][] = ")[1].split(";\n")[0]);
const inv: number[][] = eval(src.split("const inv: number[][] = ")[1].split(";\n")[0]);
const t0 = (a: number[]) => a.map((x) => (x - a[0] + 12) % 12);
const mirror = (p: number[]) => p.map((x) => p[p.length - 1] - x).reverse();
const key = (a: number[]) => a.join(",");
function fortePrime(s: number[]) {
  const a = t0(normalOrder(s)); const b = t0(normalOrder(s.map((x) => (12 - x) % 12)));
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? a : b;
  return a;
}
let bad = 0;
for (const p of primes) if (key(fortePrime(p)) !== key(p)) { bad++; console.log("prime rule mismatch", p, fortePrime(p)); }
console.log("prime-rule mismatches", bad);
const primeSet = new Map(primes.map((p) => [key(p), p]));
for (const e of inv) {
  const p = fortePrime(e);
  if (!primeSet.has(key(p))) console.log("no prime for", e);
  else if (key(mirror(p)) !== key(e)) console.log("mirror hypothesis fails", e, p, mirror(p));
}
console.log("checked mirrors");
// music21 rule over all subsets
function m21(s: number[]) {
  const pcs = [...new Set(s.map((x) => ((x % 12) + 12) % 12))].sort((a, b) => a - b);
  if (pcs.length <= 1) return pcs;
  const n = normalOrder(pcs); const T0 = t0(n); const P = fortePrime(pcs);
  if (key(T0) === key(P)) return n;
  const T = mirror(P); const want = key([...pcs]);
  for (const t of pcs) { const c = T.map((x) => (x + t) % 12); if (key([...c].sort((a, b) => a - b)) === want) return c; }
  throw new Error("none");
}
const diffs: Record<number, string[]> = {};
for (let m = 1; m < 4096; m++) {
  const s = [...Array(12).keys()].filter((i) => m & (1 << i));
  const a = m21(s), b = normalOrder(s);
  if (key(a) !== key(b)) { (diffs[s.length] ??= []).push(a.join(".") + " (forte " + b.join(".") + ")"); }
}
for (const [k, v] of Object.entries(diffs)) console.log(k, v.length, k === "4" ? v : v.slice(0, 2));
