;; Elementwise work of one LSTM time step, four units at a time (f32x4 SIMD), for the fused
;; LSTM in _lstm_bptt.ts. Compiled by `deno task build-wasm` (lib/cli/build_wasm.ts) into
;; _lstm_cell_wasm.ts; the typed wrapper is _lstm_cell.ts, whose JS kernels `forwardStep` and
;; `backwardStep` are the reference these functions reproduce (in float32 instead of float64).
;;
;; Memory: imported as env.memory; the wrapper lays out a run's arrays in it (row-major
;; float32, every array 16-byte aligned). All pointer arguments are byte offsets into that
;; memory. `units` must be a multiple of 4, so every row starts 16-byte aligned and the inner
;; loops need no remainder. Gate blocks are in tfjs order i, f, g (cell candidate), o: a
;; "gate row" is [4 * units] floats, a "unit row" [units] floats; `ub` below is the byte size
;; of one unit row (4 * units).
(module
  (import "env" "memory" (memory 1))

  ;; In place over the floats at $ptr .. $ptr + $bytes: x <- $a + $b * tanh($b * x), four lanes
  ;; at a time ($bytes a multiple of 16). $a = 0, $b = 1 gives tanh; $a = $b = 0.5 gives the
  ;; sigmoid. tanh is the rational approximation of Eigen's `ptanh_float`: x clamped to
  ;; +-7.90531110763549805 (where it reaches +-1 in float32), then x * p(x^2) / q(x^2) with
  ;; p(y) = ((((((a13 y + a11) y + a9) y + a7) y + a5) y + a3) y + a1) and
  ;; q(y) = (((b6 y + b4) y + b2) y + b0). NaN stays NaN (pmin/pmax keep their first operand
  ;; when a comparison is false).
  ;;
  ;; Speed (V8): one loop over a whole row rather than a tanh function called per vector (V8
  ;; does not inline a function this large), and the constants splatted once into locals
  ;; before the loop (V8 does not hoist them: that halves the time).
  (func $tanh_affine (param $ptr i32) (param $bytes i32) (param $a f32) (param $b f32)
    (local $end i32) (local $va v128) (local $vb v128)
    (local $hi v128) (local $lo v128)
    (local $a13 v128) (local $a11 v128) (local $a9 v128) (local $a7 v128) (local $a5 v128)
    (local $a3 v128) (local $a1 v128) (local $b6 v128) (local $b4 v128) (local $b2 v128)
    (local $b0 v128)
    (local $x v128) (local $y v128) (local $p v128) (local $q v128)
    (local.set $end (i32.add (local.get $ptr) (local.get $bytes)))
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $vb (f32x4.splat (local.get $b)))
    (local.set $hi (f32x4.splat (f32.const 7.90531110763549805)))
    (local.set $lo (f32x4.splat (f32.const -7.90531110763549805)))
    (local.set $a13 (f32x4.splat (f32.const -2.76076847742355e-16)))
    (local.set $a11 (f32x4.splat (f32.const 2.00018790482477e-13)))
    (local.set $a9 (f32x4.splat (f32.const -8.60467152213735e-11)))
    (local.set $a7 (f32x4.splat (f32.const 5.12229709037114e-8)))
    (local.set $a5 (f32x4.splat (f32.const 1.48572235717979e-5)))
    (local.set $a3 (f32x4.splat (f32.const 6.37261928875436e-4)))
    (local.set $a1 (f32x4.splat (f32.const 4.89352455891786e-3)))
    (local.set $b6 (f32x4.splat (f32.const 1.19825839466702e-6)))
    (local.set $b4 (f32x4.splat (f32.const 1.18534705686654e-4)))
    (local.set $b2 (f32x4.splat (f32.const 2.268434632439e-3)))
    (local.set $b0 (f32x4.splat (f32.const 4.89352518554385e-3)))
    (block $done
      (loop $lanes
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        ;; x = clamp($b * x, lo, hi); y = x^2
        (local.set $x
          (f32x4.pmax
            (f32x4.pmin (f32x4.mul (v128.load (local.get $ptr)) (local.get $vb)) (local.get $hi))
            (local.get $lo)))
        (local.set $y (f32x4.mul (local.get $x) (local.get $x)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $y) (local.get $a13)) (local.get $a11)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $y) (local.get $p)) (local.get $a9)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $y) (local.get $p)) (local.get $a7)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $y) (local.get $p)) (local.get $a5)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $y) (local.get $p)) (local.get $a3)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $y) (local.get $p)) (local.get $a1)))
        (local.set $q (f32x4.add (f32x4.mul (local.get $y) (local.get $b6)) (local.get $b4)))
        (local.set $q (f32x4.add (f32x4.mul (local.get $y) (local.get $q)) (local.get $b2)))
        (local.set $q (f32x4.add (f32x4.mul (local.get $y) (local.get $q)) (local.get $b0)))
        ;; $a + $b * x p / q
        (v128.store (local.get $ptr)
          (f32x4.add (local.get $va)
            (f32x4.mul (local.get $vb)
              (f32x4.div (f32x4.mul (local.get $x) (local.get $p)) (local.get $q)))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (br $lanes))))

  ;; In place over the floats at $ptr .. $ptr + $bytes: the hard sigmoid
  ;; x <- clamp(0.2 x + 0.5, 0, 1), four lanes at a time ($bytes a multiple of 16).
  (func $hard_sigmoid (param $ptr i32) (param $bytes i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $ptr) (local.get $bytes)))
    (block $done
      (loop $lanes
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (v128.store (local.get $ptr)
          (f32x4.pmax
            (f32x4.pmin
              (f32x4.add
                (f32x4.mul (v128.load (local.get $ptr)) (f32x4.splat (f32.const 0.2)))
                (f32x4.splat (f32.const 0.5)))
              (f32x4.splat (f32.const 1)))
            (f32x4.splat (f32.const 0))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (br $lanes))))

  ;; One forward time step for all batch rows.
  ;;
  ;; Per batch row b and unit j, with z = proj + zRec:
  ;;   i, f, o = gate(z_i, z_f, z_o); g = tanh(z_g); c = f * cPrev + i * g; tc = tanh(c);
  ;;   h = o * tc
  ;; where gate is the sigmoid 0.5 + 0.5 tanh(0.5 z), or the hard sigmoid when $hard is not 0.
  ;; Writes acts (i, f, g, o), cNext, tanhC, out (h) and, unless $hNext is -1, hNext (h, or
  ;; h * mask unless $mask is -1). Each row goes in passes: z into the acts row, activations
  ;; in place there, c into cNext and tanhC, tanh in place in tanhC, then h.
  ;;
  ;; $batch: rows; $units: units per gate (multiple of 4); $hard: 1 for hard sigmoid gates,
  ;; 0 for sigmoid. Arrays (byte offsets; b-th row at base + b * row size unless noted):
  ;;   $proj, $zRec: [batch, 4 * units] input projection plus bias / recurrent product (read)
  ;;   $acts: [batch, 4 * units] gate activations (written)
  ;;   $cPrev: [batch, units] cell state before the step (read)
  ;;   $cNext, $tanhC: [batch, units] cell state after the step and its tanh (written)
  ;;   $out: h of row b at $out + b * $outStride bytes (written)
  ;;   $hNext: [batch, units] recurrent input of the next step (written), or -1: skip
  ;;   $mask: [batch, units] recurrent dropout mask (read), or -1: none
  (func (export "forward_step")
    (param $batch i32) (param $units i32) (param $hard i32)
    (param $proj i32) (param $zRec i32) (param $acts i32)
    (param $cPrev i32) (param $cNext i32) (param $tanhC i32)
    (param $out i32) (param $outStride i32) (param $hNext i32) (param $mask i32)
    (local $ub i32) (local $b i32) (local $j i32) (local $gRow i32) (local $uRow i32)
    (local $row i32) (local $ua i32) (local $c v128) (local $h v128)
    (local.set $ub (i32.shl (local.get $units) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $b) (local.get $batch)))
        ;; byte offsets of row b in the gate arrays and in the unit arrays
        (local.set $gRow (i32.mul (local.get $b) (i32.shl (local.get $ub) (i32.const 2))))
        (local.set $uRow (i32.mul (local.get $b) (local.get $ub)))
        ;; z = proj + zRec into the acts row
        (local.set $j (i32.const 0))
        (block $z_done
          (loop $z_lanes
            (br_if $z_done (i32.ge_u (local.get $j) (i32.shl (local.get $ub) (i32.const 2))))
            (local.set $row (i32.add (local.get $gRow) (local.get $j)))
            (v128.store (i32.add (local.get $acts) (local.get $row))
              (f32x4.add
                (v128.load (i32.add (local.get $proj) (local.get $row)))
                (v128.load (i32.add (local.get $zRec) (local.get $row)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $z_lanes)))
        ;; activations in place: gates i, f (adjacent) and o, then the candidate g
        (local.set $row (i32.add (local.get $acts) (local.get $gRow)))
        (if (local.get $hard)
          (then
            (call $hard_sigmoid (local.get $row) (i32.shl (local.get $ub) (i32.const 1)))
            (call $hard_sigmoid
              (i32.add (local.get $row) (i32.mul (local.get $ub) (i32.const 3))) (local.get $ub)))
          (else
            (call $tanh_affine (local.get $row) (i32.shl (local.get $ub) (i32.const 1))
              (f32.const 0.5) (f32.const 0.5))
            (call $tanh_affine
              (i32.add (local.get $row) (i32.mul (local.get $ub) (i32.const 3))) (local.get $ub)
              (f32.const 0.5) (f32.const 0.5))))
        (call $tanh_affine
          (i32.add (local.get $row) (i32.shl (local.get $ub) (i32.const 1))) (local.get $ub)
          (f32.const 0) (f32.const 1))
        ;; c = f * cPrev + i * g into cNext and tanhC
        (local.set $j (i32.const 0))
        (block $c_done
          (loop $c_lanes
            (br_if $c_done (i32.ge_u (local.get $j) (local.get $ub)))
            (local.set $ua (i32.add (local.get $uRow) (local.get $j)))
            (local.set $row (i32.add (local.get $acts) (i32.add (local.get $gRow) (local.get $j))))
            (local.set $c
              (f32x4.add
                (f32x4.mul
                  (v128.load (i32.add (local.get $row) (local.get $ub)))
                  (v128.load (i32.add (local.get $cPrev) (local.get $ua))))
                (f32x4.mul
                  (v128.load (local.get $row))
                  (v128.load (i32.add (local.get $row) (i32.shl (local.get $ub) (i32.const 1)))))))
            (v128.store (i32.add (local.get $cNext) (local.get $ua)) (local.get $c))
            (v128.store (i32.add (local.get $tanhC) (local.get $ua)) (local.get $c))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $c_lanes)))
        (call $tanh_affine (i32.add (local.get $tanhC) (local.get $uRow)) (local.get $ub)
          (f32.const 0) (f32.const 1))
        ;; h = o * tanh(c) into out and hNext
        (local.set $j (i32.const 0))
        (block $h_done
          (loop $h_lanes
            (br_if $h_done (i32.ge_u (local.get $j) (local.get $ub)))
            (local.set $ua (i32.add (local.get $uRow) (local.get $j)))
            (local.set $h
              (f32x4.mul
                (v128.load
                  (i32.add (local.get $acts)
                    (i32.add (i32.add (local.get $gRow) (local.get $j))
                      (i32.mul (local.get $ub) (i32.const 3)))))
                (v128.load (i32.add (local.get $tanhC) (local.get $ua)))))
            (v128.store
              (i32.add (local.get $out)
                (i32.add (i32.mul (local.get $b) (local.get $outStride)) (local.get $j)))
              (local.get $h))
            (if (i32.ne (local.get $hNext) (i32.const -1))
              (then
                (v128.store (i32.add (local.get $hNext) (local.get $ua))
                  (if (result v128) (i32.eq (local.get $mask) (i32.const -1))
                    (then (local.get $h))
                    (else
                      (f32x4.mul (local.get $h)
                        (v128.load (i32.add (local.get $mask) (local.get $ua)))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $h_lanes)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $rows))))

;; One step of backpropagation through time for all batch rows.
  ;;
  ;; Per batch row b and unit j, from the forward step's i, f, g, o, cPrev, tc:
  ;;   dh = dy + dhRec; dc = dcNext + dh * o * (1 - tc^2)
  ;;   dz_i = dc * g * i'; dz_f = dc * cPrev * f'; dz_g = dc * i * (1 - g^2); dz_o = dh * tc * o'
  ;;   dcNext <- dc * f
  ;; where the gate derivative x' is x (1 - x) for sigmoid, and 0.2 inside (0, 1), else 0,
  ;; for hard sigmoid.
  ;;
  ;; $batch, $units, $hard: as in forward_step. Arrays (byte offsets):
  ;;   $acts: [batch, 4 * units] gate activations i, f, g, o of the step (read)
  ;;   $cPrev: [batch, units] cell state before the step (read)
  ;;   $tanhC: [batch, units] tanh of the cell state after the step (read)
  ;;   $dy: gradient of h of row b at $dy + b * $dyStride bytes (read)
  ;;   $dhRec: [batch, units] gradient reaching h through the next step (read)
  ;;   $dcNext: [batch, units] gradient of c after the step; replaced by that of cPrev
  ;;   $dz: [batch, 4 * units] pre-activation gradients (written)
  (func (export "backward_step")
    (param $batch i32) (param $units i32) (param $hard i32)
    (param $acts i32) (param $cPrev i32) (param $tanhC i32)
    (param $dy i32) (param $dyStride i32) (param $dhRec i32) (param $dcNext i32) (param $dz i32)
    (local $ub i32) (local $b i32) (local $j i32)
    (local $gRow i32) (local $uRow i32) (local $yRow i32) (local $ga i32) (local $ua i32)
    (local $i v128) (local $f v128) (local $g v128) (local $o v128) (local $tc v128)
    (local $dh v128) (local $dc v128) (local $di v128) (local $df v128) (local $dO v128)
    (local $one v128)
    (local.set $ub (i32.shl (local.get $units) (i32.const 2)))
    (local.set $one (f32x4.splat (f32.const 1)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $gRow (i32.mul (local.get $b) (i32.shl (local.get $ub) (i32.const 2))))
        (local.set $uRow (i32.mul (local.get $b) (local.get $ub)))
        (local.set $yRow (i32.add (local.get $dy) (i32.mul (local.get $b) (local.get $dyStride))))
        (local.set $j (i32.const 0))
        (block $lanes_done
          (loop $lanes
            (br_if $lanes_done (i32.ge_u (local.get $j) (local.get $ub)))
            (local.set $ga (i32.add (local.get $acts) (i32.add (local.get $gRow) (local.get $j))))
            (local.set $ua (i32.add (local.get $uRow) (local.get $j)))
            (local.set $i (v128.load (local.get $ga)))
            (local.set $f (v128.load (i32.add (local.get $ga) (local.get $ub))))
            (local.set $g
              (v128.load (i32.add (local.get $ga) (i32.shl (local.get $ub) (i32.const 1)))))
            (local.set $o
              (v128.load (i32.add (local.get $ga) (i32.mul (local.get $ub) (i32.const 3)))))
            (local.set $tc (v128.load (i32.add (local.get $tanhC) (local.get $ua))))
            (local.set $dh
              (f32x4.add
                (v128.load (i32.add (local.get $yRow) (local.get $j)))
                (v128.load (i32.add (local.get $dhRec) (local.get $ua)))))
            (local.set $dc
              (f32x4.add
                (v128.load (i32.add (local.get $dcNext) (local.get $ua)))
                (f32x4.mul
                  (f32x4.mul (local.get $dh) (local.get $o))
                  (f32x4.sub (local.get $one) (f32x4.mul (local.get $tc) (local.get $tc))))))
            (local.set $di (f32x4.mul (local.get $dc) (local.get $g)))
            (local.set $df
              (f32x4.mul (local.get $dc) (v128.load (i32.add (local.get $cPrev) (local.get $ua)))))
            (local.set $dO (f32x4.mul (local.get $dh) (local.get $tc)))
            (v128.store (i32.add (local.get $dcNext) (local.get $ua))
              (f32x4.mul (local.get $dc) (local.get $f)))
            ;; $ga: lanes j..j+3 of gate i in the dz row
            (local.set $ga (i32.add (local.get $dz) (i32.add (local.get $gRow) (local.get $j))))
            (if (local.get $hard)
              (then
                (local.set $di (call $hard_derivative (local.get $i) (local.get $di)))
                (local.set $df (call $hard_derivative (local.get $f) (local.get $df)))
                (local.set $dO (call $hard_derivative (local.get $o) (local.get $dO))))
              (else
                (local.set $di
                  (f32x4.mul (f32x4.mul (local.get $di) (local.get $i))
                    (f32x4.sub (local.get $one) (local.get $i))))
                (local.set $df
                  (f32x4.mul (f32x4.mul (local.get $df) (local.get $f))
                    (f32x4.sub (local.get $one) (local.get $f))))
                (local.set $dO
                  (f32x4.mul (f32x4.mul (local.get $dO) (local.get $o))
                    (f32x4.sub (local.get $one) (local.get $o))))))
            (v128.store (local.get $ga) (local.get $di))
            (local.set $ga (i32.add (local.get $ga) (local.get $ub)))
            (v128.store (local.get $ga) (local.get $df))
            (local.set $ga (i32.add (local.get $ga) (local.get $ub)))
            ;; dz_g = dc * i * (1 - g^2)
            (v128.store (local.get $ga)
              (f32x4.mul (f32x4.mul (local.get $dc) (local.get $i))
                (f32x4.sub (local.get $one) (f32x4.mul (local.get $g) (local.get $g)))))
            (local.set $ga (i32.add (local.get $ga) (local.get $ub)))
            (v128.store (local.get $ga) (local.get $dO))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $lanes)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $rows))))

  ;; Gradient through a hard sigmoid of activation $a: 0.2 * $d where 0 < $a < 1, else 0.
  (func $hard_derivative (param $a v128) (param $d v128) (result v128)
    (v128.and
      (f32x4.mul (local.get $d) (f32x4.splat (f32.const 0.2)))
      (v128.and
        (f32x4.gt (local.get $a) (f32x4.splat (f32.const 0)))
        (f32x4.lt (local.get $a) (f32x4.splat (f32.const 1)))))))
