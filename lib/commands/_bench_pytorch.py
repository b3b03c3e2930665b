"""PyTorch reference for `deno task bench`: the project's two models, timed the same way.

Called by the benchmark (lib/commands/bench.ts, through _bench_pytorch.ts) when `import torch`
works; never a dependency of the project. Prints one line `BENCH_TORCH {json}` at the end (the
lines before it are progress, on stderr). The benchmark runs it once per setting it tries
(torch threads, and OMP_WAIT_POLICY in the environment, which OpenMP reads at start) and keeps
the fastest; the result names the OMP_WAIT_POLICY the process saw.

  python3 lib/commands/_bench_pytorch.py [--threads N] [--quick] [--budget SEC]
      [--only train-tutorial,train-classic,generate-tutorial,generate-classic]

Workloads (the same shapes and optimisers as the project's benchmark rows):
  train-tutorial    LSTM(128) on [64, 25, 3], heads pitch Dense(128) logits, step Dense(1),
                    duration Dense(1); loss 0.05 * CE + MSE with positive pressure (x2); Adam 0.005
  train-classic     [64, 100, 1] -> LSTM(512) -> Dropout .3 -> LSTM(512) -> Dropout .3 ->
                    LSTM(512) -> Dense(256) -> Dropout .3 -> Dense(358) softmax; RMSprop 0.001
  generate-*        one step at a time from a carried (h, c) state after a seed window (25
                    notes / 100 tokens), sampling with a temperature, batch 1, no_grad
Figures: training = batch / median seconds per batch after warm-up; generation = produced
items per second between the first and the last.
"""

import argparse
import json
import os
import statistics
import sys
import time

WORKLOADS = ["train-tutorial", "train-classic", "generate-tutorial", "generate-classic"]


def blas_in_use():
    """The BLAS shared objects mapped into this process (after torch ran a product)."""
    found = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path)
                if ("blas" in name or "mkl" in name) and path not in found:
                    found.append(os.path.realpath(path))
    except OSError:
        pass
    return sorted(set(found))


def blas_threads(libraries):
    """OpenBLAS's own thread count in this process (torch's threads do not set it), or None."""
    import ctypes
    for path in libraries:
        if "openblas" not in os.path.basename(path):
            continue
        try:
            return int(ctypes.CDLL(path).openblas_get_num_threads())
        except (OSError, AttributeError):
            pass
    return None


def timed_batches(step, warmup, max_timed, budget_sec):
    for _ in range(warmup):
        step()
    times = []
    start = time.perf_counter()
    while len(times) < max_timed:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start + statistics.median(times) > budget_sec:
            break
    return times


def train_tutorial(torch, nn, args):
    torch.manual_seed(42)
    batch, seq, units = 64, 25, 128

    class Tutorial(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(3, units, batch_first=True)
            self.pitch = nn.Linear(units, 128)
            self.step = nn.Linear(units, 1)
            self.duration = nn.Linear(units, 1)

        def forward(self, x):
            out, _ = self.lstm(x)
            h = out[:, -1]
            return self.pitch(h), self.step(h), self.duration(h)

    model = Tutorial()
    opt = torch.optim.Adam(model.parameters(), lr=0.005)
    g = torch.Generator().manual_seed(1234)
    x = torch.rand(batch, seq, 3, generator=g)
    pitch = torch.randint(0, 128, (batch,), generator=g)
    step_y = torch.rand(batch, 1, generator=g) * 0.5
    dur_y = torch.rand(batch, 1, generator=g)
    ce = nn.CrossEntropyLoss()

    def mse_pp(y, p):
        return ((y - p) ** 2).mean() + 10 * torch.clamp(-p, min=0).mean()

    def step():
        opt.zero_grad()
        lp, ls, ld = model(x)
        loss = 0.05 * ce(lp, pitch) + mse_pp(step_y, ls) + mse_pp(dur_y, ld)
        loss.backward()
        opt.step()
        loss.item()

    warmup, timed = (1, 2) if args.quick else (5, 100)
    times = timed_batches(step, warmup, timed, 2 if args.quick else args.budget)
    per = statistics.median(times)
    return {
        "workload": "train tutorial",
        "unit": "samples/s",
        "value": batch / per,
        "notes": f"LSTM({units}), seq {seq}, batch {batch}, Adam; median of {len(times)} "
        f"batch(es) ({per:.4f} s each) after {warmup} warm-up",
    }


class Classic:
    """The classic stack as modules (built once per workload)."""

    def __init__(self, torch, nn, vocab=358, units=512, dense=256):
        torch.manual_seed(42)
        self.lstm1 = nn.LSTM(1, units, batch_first=True)
        self.lstm2 = nn.LSTM(units, units, batch_first=True)
        self.lstm3 = nn.LSTM(units, units, batch_first=True)
        self.drop = nn.Dropout(0.3)
        self.dense = nn.Linear(units, dense)
        self.out = nn.Linear(dense, vocab)
        self.modules = nn.ModuleList(
            [self.lstm1, self.lstm2, self.lstm3, self.drop, self.dense, self.out]
        )


def train_classic(torch, nn, args):
    batch, seq, vocab = (8 if args.quick else 64), 100, 358
    m = Classic(torch, nn, vocab)

    def forward(x):
        h, _ = m.lstm1(x)
        h, _ = m.lstm2(m.drop(h))
        h, _ = m.lstm3(m.drop(h))
        h = m.drop(m.dense(h[:, -1]))
        return m.out(h)  # logits; softmax + cross-entropy below

    opt = torch.optim.RMSprop(m.modules.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    m.modules.train()
    g = torch.Generator().manual_seed(1234)
    x = torch.randint(0, vocab, (batch, seq, 1), generator=g).float() / vocab
    y = torch.randint(0, vocab, (batch,), generator=g)
    ce = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = ce(forward(x), y)
        loss.backward()
        opt.step()
        loss.item()

    warmup, timed = (0, 1) if args.quick else (1, 5)
    times = timed_batches(step, warmup, timed, 2 if args.quick else 2 * args.budget)
    per = statistics.median(times)
    params = sum(p.numel() for p in m.modules.parameters())
    return {
        "workload": "train classic",
        "unit": "samples/s",
        "value": batch / per,
        "notes": f"3 x LSTM(512), seq {seq}, vocab {vocab}, {params} parameters, batch {batch},"
        f" RMSprop; median of {len(times)} batch(es) ({per:.3f} s each) after {warmup} warm-up",
    }


def generate_tutorial(torch, nn, args):
    torch.manual_seed(42)
    units = 128
    lstm = nn.LSTM(3, units, batch_first=True)
    pitch_head, step_head, dur_head = nn.Linear(units, 128), nn.Linear(units, 1), nn.Linear(units, 1)
    g = torch.Generator().manual_seed(7)
    count = 20 if args.quick else 3000
    temperature = 2.0
    with torch.no_grad():
        seed = torch.rand(1, 25, 3, generator=g)
        out, state = lstm(seed)
        h = out[:, -1]
        times = []
        t0 = time.perf_counter()
        for _ in range(count):
            logits = pitch_head(h) / temperature
            pitch = torch.multinomial(torch.softmax(logits, -1), 1, generator=g).item()
            step = max(0.0, step_head(h).item())
            duration = max(0.0, dur_head(h).item())
            x = torch.tensor([[[pitch / 128, step, duration]]])
            out, state = lstm(x, state)
            h = out[:, -1]
            times.append(time.perf_counter())
    rate = (len(times) - 1) / (times[-1] - times[0])
    return {
        "workload": "generate tutorial",
        "unit": "notes/s",
        "value": rate,
        "notes": f"{count} notes after a seed window of 25, carried (h, c), temperature "
        f"{temperature}; first after {(times[0] - t0) * 1000:.0f} ms",
    }


def generate_classic(torch, nn, args):
    vocab = 358
    m = Classic(torch, nn, vocab)
    m.modules.eval()
    g = torch.Generator().manual_seed(7)
    count = 10 if args.quick else 300
    temperature = 0.8
    with torch.no_grad():
        seed = torch.randint(0, vocab, (1, 100, 1), generator=g).float() / vocab
        h1, s1 = m.lstm1(seed)
        h2, s2 = m.lstm2(h1)
        h3, s3 = m.lstm3(h2)
        h = h3[:, -1]
        times = []
        t0 = time.perf_counter()
        for _ in range(count):
            logits = m.out(m.dense(h)) / temperature
            token = torch.multinomial(torch.softmax(logits, -1), 1, generator=g).item()
            x = torch.tensor([[[token / vocab]]])
            h1, s1 = m.lstm1(x, s1)
            h2, s2 = m.lstm2(h1, s2)
            h3, s3 = m.lstm3(h2, s3)
            h = h3[:, -1]
            times.append(time.perf_counter())
    rate = (len(times) - 1) / (times[-1] - times[0])
    return {
        "workload": "generate classic",
        "unit": "tokens/s",
        "value": rate,
        "notes": f"{count} tokens after a seed window of 100, carried (h, c) of 3 layers, "
        f"temperature {temperature}; first after {(times[0] - t0) * 1000:.0f} ms",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's own)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--budget", type=float, default=15.0, help="seconds of timed batches")
    args = parser.parse_args()
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in only if w not in WORKLOADS]
    if unknown:
        parser.error(f"--only: expected some of {','.join(WORKLOADS)}, got {','.join(unknown)}")
    import torch
    import torch.nn as nn

    default_threads = torch.get_num_threads()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    run = {
        "train-tutorial": train_tutorial,
        "train-classic": train_classic,
        "generate-tutorial": generate_tutorial,
        "generate-classic": generate_classic,
    }
    entries = []
    for name in only:
        t0 = time.perf_counter()
        try:
            entry = run[name](torch, nn, args)
            entry["status"] = "ok"
        except Exception as error:  # reported, not raised: the other workloads still run
            entry = {"workload": name.replace("-", " "), "value": None, "status": "error",
                     "notes": f"{type(error).__name__}: {error}"}
        print(f"  pytorch {name}: {entry.get('value')} ({time.perf_counter() - t0:.0f} s)",
              file=sys.stderr, flush=True)
        entries.append(entry)
    config = torch.__config__.show()
    blas_info = next((p.split("=")[1] for p in config.replace(",", " ").split()
                      if p.startswith("BLAS_INFO=")), "unknown")
    result = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "defaultThreads": default_threads,
        "waitPolicy": os.environ.get("OMP_WAIT_POLICY") or None,
        "blasInfo": blas_info,
        "blasLibraries": blas_in_use(),
        "blasThreads": blas_threads(blas_in_use()),
        "entries": entries,
    }
    print("BENCH_TORCH " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
