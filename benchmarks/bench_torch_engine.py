"""How fast is the torch engine? TorchEngine.train_step against a hand-written PyTorch loop; NumPy conv vs torch conv.

Two cases, each at 1 and at 2 CPU threads:

1. mlp: 784-256-128-10 ReLU MLP, softmax cross-entropy, Adam (lr 1e-3), batch 128, float32.
2. lenet: LeNet-5 (``nnblocks.zoo.lenet5``: tanh, average pooling), 1×32×32 images, softmax
   cross-entropy, Adam (lr 1e-3), batch 64, float32.

Contenders, all from the same initial weights (ours, copied) on the same 16 batches:

* torch engine: ``TorchEngine(network).train_step(x, y)`` on NumPy batches, as ``fit`` calls it:
  the batch is turned into tensors, then forward, loss, backward, Adam step, the loss read as a
  float and the scores handed back as NumPy. The NumPy<->torch conversion is part of the step.
* hand-written: what a person types: ``nn.Sequential`` of the same layers, ``nn.CrossEntropyLoss``,
  ``torch.optim.Adam`` (torch's default implementation, as the engine builds it),
  ``zero_grad / forward / loss / backward / step / loss.item()`` on tensors made once.
* hand-written, NumPy batches (information): the same loop, converting each NumPy batch with
  ``torch.from_numpy`` first: isolates what the conversion costs.
* hand-written, fused Adam (information): the same loop with ``torch.optim.Adam(fused=True)``: what
  the engine would gain from asking torch for its fused optimiser.
* NumPy engine (lenet only): ``Network.train_step``, our im2col convolutions: NumPy conv vs torch conv.

Goal: torch engine / hand-written >= 0.95 (samples per second) in both cases.

A third table breaks the torch engine's extra work per step into its parts, each timed alone.
With CUDA present, the two torch contenders of each case also run on the GPU, with AMP off
and on (the hand-written loop keeps its batches on the GPU; the engine copies each NumPy
batch to it, as fit does).

Usage:  python benchmarks/bench_torch_engine.py [--quick] [--threads 1,2] [--cases mlp,lenet] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import pstats
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (calibrate, closing_lines, format_seconds, interleave, machine_lines, table,  # noqa: E402
                    thread_limit, verdict_of_best_and_median)

from nnblocks import Dense, Sequential, get_optimizer  # noqa: E402
from nnblocks.engines.torch import TorchEngine  # noqa: E402
from nnblocks.zoo import lenet5  # noqa: E402

BATCHES_IN_POOL = 16
LEARNING_RATE = 1e-3
BATCH = {"mlp": 128, "lenet": 64}
TITLES = {"mlp": "mlp 784-256-128-10", "lenet": "lenet LeNet-5 1×32×32"}
GOAL = 0.95


# === the networks and their data ==================================================================
def ours(case: str) -> Sequential:
    if case == "mlp":
        net = Sequential([Dense(256, activation="relu"), Dense(128, activation="relu"), Dense(10)],
                         loss="softmax_cross_entropy", dtype="float32", seed=0).build((784,))
    else:
        net = lenet5(seed=0)
    net.optimizer = get_optimizer("adam", learning_rate=LEARNING_RATE)
    return net


def batches(case: str, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    shape = (784,) if case == "mlp" else (1, 32, 32)
    return [(rng.random((BATCH[case], *shape), dtype=np.float32),          # (N, 784) or (N, 1, 32, 32)
             rng.integers(0, 10, size=BATCH[case]))                         # (N,) int64 class indices
            for _ in range(BATCHES_IN_POOL)]


def hand_written_module(case: str, net: Sequential) -> nn.Sequential:
    """The same layers typed out in torch, holding our network's initial weights."""
    if case == "mlp":
        module = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    else:
        module = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(),
                               nn.AvgPool2d(2), nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(), nn.Linear(120, 84),
                               nn.Tanh(), nn.Linear(84, 10))
    weighted = [layer for layer in module if isinstance(layer, (nn.Linear, nn.Conv2d))]
    with torch.no_grad():
        for torch_layer, our_layer in zip(weighted, [layer for layer in net.layers if "weight" in layer.params]):
            weight = our_layer.params["weight"]
            # ours: Dense (in, out), Conv2D (kh, kw, C_in, C_out); torch: (out, in), (C_out, C_in, kh, kw)
            weight = weight.T if weight.ndim == 2 else weight.transpose(3, 2, 0, 1)
            torch_layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
            torch_layer.bias.copy_(torch.from_numpy(our_layer.params["bias"]))
    return module


def hand_written_step(module: nn.Module, device: torch.device, amp: bool = False, from_numpy: bool = False,
                      fused: bool = False):
    """zero_grad / forward / loss / backward / step / loss.item(), as in the PyTorch tutorials."""
    module.to(device).train()
    loss_function = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(module.parameters(), lr=LEARNING_RATE, **({"fused": True} if fused else {}))
    scaler = torch.amp.GradScaler("cuda") if amp else None

    def step(x, y):
        if from_numpy:
            x, y = torch.from_numpy(x).to(device, non_blocking=True), torch.from_numpy(y).to(device)
        optimizer.zero_grad()
        if scaler is None:
            loss = loss_function(module(x), y)
            loss.backward()
            optimizer.step()
        else:
            with torch.autocast("cuda", dtype=torch.float16):
                loss = loss_function(module(x).float(), y)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        return loss.item(), None

    return step


def contenders_for(case: str, device: torch.device, amp: bool = False, numpy_engine: bool = True) -> dict:
    """name -> (step(x, y), its batches), every one starting from the same weights."""
    pool = batches(case)
    on_device = [(torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)) for x, y in pool]
    engine = TorchEngine(ours(case), device=device, amp=amp)
    result = {
        "torch engine": (engine.train_step, pool),
        "hand-written": (hand_written_step(hand_written_module(case, ours(case)), device, amp), on_device),
        "hand, NumPy batches": (hand_written_step(hand_written_module(case, ours(case)), device, amp, True), pool),
    }
    try:  # torch >= 2.4 fuses Adam on the CPU too; an older one refuses, and the column shows "-"
        result["hand, fused Adam"] = (hand_written_step(hand_written_module(case, ours(case)), device, amp,
                                                        fused=True), on_device)
    except (RuntimeError, ValueError, TypeError):
        pass
    if case == "lenet" and numpy_engine:
        result["NumPy engine"] = (ours(case).train_step, pool)
    return result


# === timing =======================================================================================
def cycling(step, pool):
    source = itertools.cycle(pool)

    def run():
        x, y = next(source)
        return step(x, y)

    return run


def agreement(contenders: dict, count: int = 3) -> dict[str, float]:
    """Largest relative loss difference to the torch engine over the first steps, before any timing."""
    losses = {name: [float(step(x, y)[0]) for x, y in pool[:count]] for name, (step, pool) in contenders.items()}
    reference = np.array(losses["torch engine"])
    return {name: float(np.max(np.abs(np.array(values) - reference) / np.abs(reference)))
            for name, values in losses.items() if name != "torch engine"}


def measure(contenders: dict, round_seconds: float, rounds: int, budget: float):
    steps = {name: cycling(step, pool) for name, (step, pool) in contenders.items()}
    counts = {name: calibrate(step, round_seconds, maximum=200) for name, step in steps.items()}
    warmup = {name: max(3, counts[name] * 3) for name in steps}
    return interleave(steps, counts, rounds, warmup, budget, minimum_rounds=5)


def best_time(function, repeats: int = 7, seconds: float = 0.02) -> float:
    """Seconds per call: the best of ``repeats`` loops of about ``seconds`` each."""
    count = calibrate(function, seconds, maximum=10_000)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(count):
            function()
        best = min(best, (time.perf_counter() - start) / count)
    return best


def breakdown(case: str, device: torch.device) -> list[tuple[str, float]]:
    """The engine's work besides forward/backward/step, each part timed alone (seconds per step)."""
    engine = TorchEngine(ours(case), device=device)
    x, y = batches(case)[0]
    inputs = engine._inputs(x)
    scores = engine.module(inputs)
    loss = nn.functional.cross_entropy(scores, engine._targets(y))
    return [
        ("NumPy batch -> tensors (x, y)", best_time(lambda: (engine._inputs(x), engine._targets(y)))),
        ("scores -> NumPy", best_time(lambda: engine._numpy(scores))),
        ("module.train() (every step)", best_time(lambda: engine.module.train())),
        ("loss + penalty() (0.0: an extra add)", best_time(lambda: loss + 0.0)),
        ("float(loss)", best_time(lambda: float(loss.detach()))),
    ]


def profile(case: str, device: torch.device, steps: int = 40) -> str:
    engine = TorchEngine(ours(case), device=device)
    pool = batches(case)
    for x, y in pool[:3]:
        engine.train_step(x, y)
    profiler = cProfile.Profile()
    profiler.enable()
    for index in range(steps):
        engine.train_step(*pool[index % len(pool)])
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(12)
    return text.getvalue()


# === main =========================================================================================
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: about 40 s instead of about 3 minutes")
    parser.add_argument("--threads", default="1,2", help="comma-separated CPU thread counts (default 1,2)")
    parser.add_argument("--cases", default="mlp,lenet", help="comma-separated cases (default mlp,lenet)")
    parser.add_argument("--profile", action="store_true", help="also print cProfile of 40 torch-engine steps")
    args = parser.parse_args(argv)
    thread_counts = [int(value) for value in args.threads.split(",")]
    cases = [case for case in ("mlp", "lenet") if case in args.cases.split(",")]
    rounds = {"mlp": 30, "lenet": 15} if args.quick else {"mlp": 200, "lenet": 80}
    budget = {"mlp": 8.0, "lenet": 12.0} if args.quick else {"mlp": 45.0, "lenet": 60.0}  # seconds per setting
    round_seconds = {"mlp": 0.01, "lenet": 0.02}
    cpu = torch.device("cpu")
    started = time.perf_counter()

    print("nnblocks torch engine benchmark" + (" (--quick)" if args.quick else ""))
    for line in machine_lines():
        print("  " + line)
    cuda = torch.cuda.is_available()
    gpu_name = torch.cuda.get_device_name(0) if cuda else "not available: the GPU rows (AMP off/on) are skipped"
    print(f"  CUDA: {gpu_name}")
    contenders = {case: contenders_for(case, cpu) for case in cases}
    checks = [f"{case} {name} {value:.1e}" for case in cases for name, value in agreement(contenders[case]).items()]
    print("  same maths? max relative loss difference to the torch engine over 3 steps from the same weights: "
          + "; ".join(checks))
    print()

    timing_rows, ratio_rows, done = [], [], {}
    names = ["torch engine", "hand-written", "hand, NumPy batches", "hand, fused Adam", "NumPy engine"]

    def report(case, timing, where):
        batch = BATCH[case]
        timing_rows.append([f"{TITLES[case]}, samples/s", where] + [
            f"{batch / timing.best(name):8,.0f} ({batch / timing.median(name):,.0f})" if name in timing.rounds else "-"
            for name in names])
        done.setdefault(case, []).append(len(timing.rounds["torch engine"]))

        def add(label, numerator, denominator, goal=None):
            if numerator not in timing.rounds or denominator not in timing.rounds:
                return
            best, typical, cpu_ratio = (1 / value for value in timing.ratio(numerator, denominator))
            result = verdict_of_best_and_median(best, typical, goal, True)
            cpu_text = f"{cpu_ratio:6.2f}" if where == "cpu, 1 thread" else "     -"
            ratio_rows.append([f"{case}: {label}", where, f"{best:6.2f}", f"{typical:6.2f}", cpu_text,
                               "-" if goal is None else f"≥ {goal:g}", result])

        add("torch engine / hand-written", "torch engine", "hand-written", GOAL)
        add("torch engine / hand, NumPy batches", "torch engine", "hand, NumPy batches")
        add("hand, NumPy batches / hand-written", "hand, NumPy batches", "hand-written")
        add("hand, fused Adam / hand-written", "hand, fused Adam", "hand-written")
        add("NumPy engine / hand-written torch", "NumPy engine", "hand-written")
        add("NumPy engine / torch engine", "NumPy engine", "torch engine")

    for count in thread_counts:
        with thread_limit(count):
            for case in cases:
                report(case, measure(contenders[case], round_seconds[case], rounds[case], budget[case]),
                       f"cpu, {count} thread{'s' if count > 1 else ''}")
    if cuda:
        gpu = torch.device("cuda")
        for amp in (False, True):
            for case in cases:
                gpu_contenders = contenders_for(case, gpu, amp=amp, numpy_engine=False)
                report(case, measure(gpu_contenders, round_seconds[case], rounds[case], budget[case]),
                       f"cuda, AMP {'on' if amp else 'off'}")

    print("Samples per second: best round (median round in brackets):")
    print(table(["case", "where", *names], timing_rows))
    print()
    print("Ratios of samples/s: of the best rounds (headline, judged against the goal), of the median rounds,")
    print("and (1 thread) of the median CPU time of the calling thread, which leaves out time spent descheduled:")
    print(table(["ratio", "where", "best", "median", "cpu", "goal", "result"], ratio_rows))
    print()
    with thread_limit(1):
        rows = []
        for case in cases:
            for label, seconds in breakdown(case, cpu):
                rows.append([case, label, format_seconds(seconds)])
        print("Where the torch engine's extra time could go, cpu, 1 thread: each part of train_step besides "
              "forward/backward/step, timed alone (best of 7):")
        print(table(["case", "part", "per step"], rows))
        print()
        if args.profile:
            for case in cases:
                print(f"cProfile, 40 torch-engine steps of {case}, 1 thread (top 12 by own time):")
                print(profile(case, cpu))
    for line in closing_lines(started, "Rounds run per setting: " + ", ".join(f"{case} {done[case]}" for case in cases)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
