import { normalOrder } from "./lib/tokens.ts";
const src = await Deno.readTextFile("_scratch_no2.ts");
// re-use m21 reference from scratch 2 by eval-free reimplementation comparison
const t0 = (a: number[]) => a.map((x) => (x - a[0] + 12) % 12);
const mirror = (p: number[]) => p.map((x) => p[p.length - 1] - x).reverse();
let diff = 0; const by: Record<number, number> = {};
for (let m = 1; m < 4096; m++) {
  const s = [...Array(12).keys()].filter((i) => m & (1 << i));
  const a = normalOrder(s), b = normalOrder(s, { convention: "forte" });
  if (a.join() !== b.join()) { diff++; by[s.length] = (by[s.length] ?? 0) + 1; }
  if ([...a].sort((x, y) => x - y).join() !== s.join()) throw new Error("not a permutation " + s);
}
console.log(diff, by);
// table inversion entries must be returned exactly for their own set
const inv = [[0,2,3],[0,3,4],[0,4,5],[0,5,6],[0,3,5],[0,4,6],[0,4,7],[0,2,3,4],[0,3,4,5],[0,4,5,6],[0,2,4,5],[0,3,4,6],[0,3,5,6],[0,4,5,7],[0,2,5,6],[0,2,6,7],[0,3,6,7],[0,4,7,8],[0,3,5,7],[0,3,6,8],[0,4,6,7],[0,2,3,4,5],[0,1,3,4,5],[0,3,4,5,6],[0,4,5,6,7],[0,1,4,5,6],[0,1,5,6,7],[0,2,4,5,6],[0,2,3,5,6],[0,3,4,5,7],[0,4,6,7,8],[0,2,5,6,7],[0,3,4,6,7],[0,2,3,6,7],[0,1,4,6,7],[0,1,5,7,8],[0,3,4,7,8],[0,2,4,5,7],[0,2,4,6,7],[0,3,5,6,8],[0,3,4,6,8],[0,3,5,7,8],[0,2,5,6,8],[0,2,5,7,8],[0,2,4,7,8],[0,3,6,8,9],[0,3,5,8,9],[0,3,5,6,7],[0,3,6,7,8],[0,2,3,4,5,6],[0,1,3,4,5,6],[0,1,4,5,6,7],[0,2,4,5,6,7],[0,2,3,4,6,7],[0,2,3,5,6,7],[0,1,3,5,6,7],[0,3,4,5,7,8],[0,3,4,6,7,8],[0,2,3,4,7,8],[0,1,4,6,7,8],[0,1,3,6,7,8],[0,1,4,5,7,8],[0,2,4,5,6,8],[0,2,4,6,7,8]];
let bad = 0; for (const e of inv) if (normalOrder(e).join() !== e.join()) { bad++; console.log("bad", e, normalOrder(e)); }
console.log("inv bad", bad, "of", inv.length);
console.log(normalOrder([0,4,7,8]).join("."), normalOrder([0,4,7,8],{convention:"forte"}).join("."), normalOrder([7,11,2,5]).join("."), normalOrder([2,5,8,0]).join("."));
