"""How fast is the NumPy engine? Our train_step against a hand-written NumPy loop and PyTorch eager.

Two cases (acceptance item 5 of the foundation issue), each at 1 and at 2 threads:

1. tiny: 2-8-8-1 tanh net, batch 10, binary cross-entropy on logits, plain SGD (lr 0.1), float64.
   Per-step time of ``Network.train_step`` vs a hand-written NumPy loop doing the same maths
   (goal: ours / hand-written <= 1.3) and vs PyTorch eager (nn.Sequential, BCEWithLogitsLoss,
   torch.optim.SGD; goal: torch / ours >= 5, i.e. ours at least five times faster).
2. mlp: 784-256-128-10 ReLU MLP, softmax cross-entropy, Adam (lr 1e-3), batch 128, float32,
   random data with a fixed seed. Samples per second of ours, of a hand-written NumPy loop
   (Adam written out with in-place operations) and of PyTorch eager with
   ``torch.optim.Adam(fused=True)`` (foreach=True if fused is refused). Goal: ours / torch >= 0.9.

All contenders of a case start from the same weights (ours, copied) and see the same batches;
before timing, a few steps are compared so the baselines are known to compute the same maths.
Contenders are interleaved round by round in one process (see benchmarks/common.py).

Usage:  python benchmarks/bench_numpy_engine.py [--quick] [--threads 1,2] [--cases tiny,mlp]
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.special import expit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (calibrate, closing_lines, format_seconds, interleave, machine_lines, table,  # noqa: E402
                    thread_limit, verdict_of_best_and_median)

try:
    import torch
except ImportError:  # the NumPy comparisons still run
    torch = None

from nnblocks import Dense, Sequential, get_optimizer  # noqa: E402

TINY_BATCH, TINY_LEARNING_RATE = 10, 0.1
MLP_BATCH, MLP_LEARNING_RATE = 128, 1e-3
BATCHES_IN_POOL = 16  # batches cycled through, so no contender trains on one cached array only


# === tiny net: 2-8-8-1 tanh, BCE on logits, SGD, float64 =======================================
def tiny_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(BATCHES_IN_POOL):
        x = rng.normal(size=(TINY_BATCH, 2))                                  # (N, 2) float64
        y = (x[:, :1] * x[:, 1:] > 0).astype(np.float64)                      # (N, 1) 0/1, an XOR-like task
        batches.append((x, y))
    return batches


def tiny_ours():
    net = Sequential([Dense(8, activation="tanh"), Dense(8, activation="tanh"), Dense(1)],
                     loss="binary_cross_entropy", dtype="float64", seed=0)
    net.build((2,))
    net.optimizer = get_optimizer("sgd", learning_rate=TINY_LEARNING_RATE)
    return net


class TinyHandWritten:
    """The same maths as our engine, written straight out: what a careful person types by hand."""

    def __init__(self, weights: list[np.ndarray], learning_rate: float) -> None:
        self.w1, self.b1, self.w2, self.b2, self.w3, self.b3 = (w.copy() for w in weights)
        self.learning_rate = learning_rate

    def step(self, x, y):
        w1, b1, w2, b2, w3, b3 = self.w1, self.b1, self.w2, self.b2, self.w3, self.b3
        # forward
        a1 = np.tanh(x @ w1 + b1)                                             # (N, 8)
        a2 = np.tanh(a1 @ w2 + b2)                                            # (N, 8)
        z3 = a2 @ w3 + b3                                                     # (N, 1) logits
        # BCE with logits, stable: max(z, 0) - z*y + log(1 + exp(-|z|))
        loss = float(np.mean(np.maximum(z3, 0) - z3 * y + np.log1p(np.exp(-np.abs(z3)))))
        # backward
        g3 = (expit(z3) - y) / z3.size                                        # (N, 1) dL/dz3
        g2 = (g3 @ w3.T) * (1 - a2 * a2)                                      # (N, 8) dL/dz2
        g1 = (g2 @ w2.T) * (1 - a1 * a1)                                      # (N, 8) dL/dz1
        grads = (x.T @ g1, g1.sum(0), a1.T @ g2, g2.sum(0), a2.T @ g3, g3.sum(0))
        # SGD, in place
        lr = self.learning_rate
        for param, grad in zip((w1, b1, w2, b2, w3, b3), grads):
            param -= lr * grad
        return loss, z3


def tiny_torch(weights: list[np.ndarray]):
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                                torch.nn.Linear(8, 1)).double()
    copy_into_torch(model, weights)
    loss_function = torch.nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=TINY_LEARNING_RATE)

    def step(x, y):
        optimizer.zero_grad()
        scores = model(x)
        loss = loss_function(scores, y)
        loss.backward()
        optimizer.step()
        return loss.item(), scores

    return step


# === MLP: 784-256-128-10 ReLU, softmax cross-entropy, Adam, float32 ===========================
def mlp_data(seed: int = 1):
    rng = np.random.default_rng(seed)
    return [(rng.random((MLP_BATCH, 784), dtype=np.float32),                  # (N, 784) pixel-like values
             rng.integers(0, 10, size=MLP_BATCH))                             # (N,) int64 class indices
            for _ in range(BATCHES_IN_POOL)]


def mlp_ours():
    net = Sequential([Dense(256, activation="relu"), Dense(128, activation="relu"), Dense(10)],
                     loss="softmax_cross_entropy", dtype="float32", seed=0)
    net.build((784,))
    net.optimizer = get_optimizer("adam", learning_rate=MLP_LEARNING_RATE)
    return net


class MLPHandWritten:
    """Forward, softmax cross-entropy, backward and Adam written out with in-place NumPy operations."""

    def __init__(self, weights: list[np.ndarray], learning_rate: float, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8) -> None:
        self.params = [w.copy() for w in weights]                             # W1, b1, W2, b2, W3, b3
        self.exp_avg = [np.zeros_like(w) for w in weights]
        self.exp_avg_sq = [np.zeros_like(w) for w in weights]
        self.scratch = [np.empty_like(w) for w in weights]
        self.learning_rate, self.beta_1, self.beta_2, self.epsilon = learning_rate, beta_1, beta_2, epsilon
        self.t = 0

    def step(self, x, y):
        w1, b1, w2, b2, w3, b3 = self.params
        n = len(x)
        rows = np.arange(n)
        # forward
        z1 = x @ w1
        z1 += b1
        a1 = np.maximum(z1, 0)                                                # (N, 256)
        z2 = a1 @ w2
        z2 += b2
        a2 = np.maximum(z2, 0)                                                # (N, 128)
        z3 = a2 @ w3
        z3 += b3                                                              # (N, 10) logits
        # softmax cross-entropy (log-sum-exp after subtracting the row max)
        shifted = z3 - z3.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, y]))
        g3 = exp
        g3 /= total                                                           # p
        g3[rows, y] -= 1                                                      # p - y
        g3 /= n
        # backward
        g2 = g3 @ w3.T
        g2 *= z2 > 0                                                          # (N, 128) dL/dz2
        g1 = g2 @ w2.T
        g1 *= z1 > 0                                                          # (N, 256) dL/dz1
        grads = (x.T @ g1, g1.sum(0), a1.T @ g2, g2.sum(0), a2.T @ g3, g3.sum(0))
        # Adam, torch's formula: p -= lr / c1 * m / (sqrt(v) / sqrt(c2) + eps)
        self.t += 1
        beta_1, beta_2 = self.beta_1, self.beta_2
        step_size = self.learning_rate / (1 - beta_1 ** self.t)
        root_c2 = math.sqrt(1 - beta_2 ** self.t)
        for param, grad, m, v, scratch in zip(self.params, grads, self.exp_avg, self.exp_avg_sq, self.scratch):
            m *= beta_1
            m += np.multiply(grad, 1 - beta_1, out=scratch)
            v *= beta_2
            np.multiply(grad, grad, out=scratch)
            scratch *= 1 - beta_2
            v += scratch
            np.sqrt(v, out=scratch)
            scratch /= root_c2
            scratch += self.epsilon
            np.divide(m, scratch, out=scratch)
            scratch *= step_size
            param -= scratch
        return loss, z3


def mlp_torch(weights: list[np.ndarray]):
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    copy_into_torch(model, weights)
    loss_function = torch.nn.CrossEntropyLoss()
    variant = "fused=True"
    try:
        optimizer = torch.optim.Adam(model.parameters(), lr=MLP_LEARNING_RATE, fused=True)
        probe = [p.detach().clone() for p in model.parameters()]
        for p in model.parameters():
            p.grad = torch.zeros_like(p)
        optimizer.step()  # some builds refuse fused only when stepping
        with torch.no_grad():
            for p, saved in zip(model.parameters(), probe):
                p.copy_(saved)
        optimizer = torch.optim.Adam(model.parameters(), lr=MLP_LEARNING_RATE, fused=True)  # fresh state
    except (RuntimeError, ValueError, TypeError) as error:
        variant = f"foreach=True (fused refused: {str(error).splitlines()[0][:80]})"
        optimizer = torch.optim.Adam(model.parameters(), lr=MLP_LEARNING_RATE, foreach=True)

    def step(x, y):
        optimizer.zero_grad()
        scores = model(x)
        loss = loss_function(scores, y)
        loss.backward()
        optimizer.step()
        return loss.item(), scores

    return step, variant


# === shared plumbing ============================================================================
def weights_of(net) -> list[np.ndarray]:
    """[W1, b1, W2, b2, ...] in layer order, (in, out) layout."""
    return [net.parameters[f"{layer.name}.{key}"] for layer in net.layers for key in ("weight", "bias")]


def copy_into_torch(model, weights: list[np.ndarray]) -> None:
    linears = [module for module in model if isinstance(module, torch.nn.Linear)]
    with torch.no_grad():
        for linear, weight, bias in zip(linears, weights[0::2], weights[1::2]):
            linear.weight.copy_(torch.from_numpy(weight.T.copy()))            # torch keeps (out, in)
            linear.bias.copy_(torch.from_numpy(bias))


def cycling(step, batches):
    """A no-argument step that walks through ``batches`` forever (same overhead for every contender)."""
    source = itertools.cycle(batches)

    def run():
        x, y = next(source)
        return step(x, y)

    return run


def agreement(contenders: dict[str, tuple], count: int = 3) -> dict[str, float]:
    """Largest relative loss difference to 'ours' over the first ``count`` steps (same weights, same batches).

    Run before any timing, while every contender still holds the weights it started from.
    """
    losses = {name: [float(step(x, y)[0]) for x, y in batches[:count]] for name, (step, batches) in contenders.items()}
    reference = np.array(losses["ours"])
    return {name: float(np.max(np.abs(np.array(values) - reference) / np.abs(reference)))
            for name, values in losses.items() if name != "ours"}


def as_torch(batches):
    return [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]  # shares memory, no copy


def build_tiny() -> dict[str, tuple]:
    """name -> (step(x, y), batches), all starting from our network's initial weights."""
    batches, net = tiny_data(), tiny_ours()
    hand = TinyHandWritten(weights_of(net), TINY_LEARNING_RATE)
    contenders = {"ours": (net.train_step, batches), "hand-written": (hand.step, batches)}
    if torch is not None:
        contenders["torch eager"] = (tiny_torch(weights_of(net)), as_torch(batches))
    return contenders


def build_mlp() -> tuple[dict[str, tuple], str]:
    """As build_tiny, plus which torch Adam implementation runs."""
    batches, net = mlp_data(), mlp_ours()
    hand = MLPHandWritten(weights_of(net), MLP_LEARNING_RATE)
    contenders, variant = {"ours": (net.train_step, batches), "hand-written": (hand.step, batches)}, "-"
    if torch is not None:
        torch_step, variant = mlp_torch(weights_of(net))
        contenders["torch eager"] = (torch_step, as_torch(batches))
    return contenders, variant


def measure(contenders: dict[str, tuple], round_seconds: float, rounds: int, budget_seconds: float):
    contenders = {name: cycling(step, batches) for name, (step, batches) in contenders.items()}
    steps = {name: calibrate(step, round_seconds) for name, step in contenders.items()}
    warmup = {name: max(2, steps[name] * 10) for name in contenders}  # about ten rounds' worth, untimed
    return interleave(contenders, steps, rounds, warmup, budget_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: about 30 s in all instead of about a minute")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--cases", default="tiny,mlp", help="comma-separated cases to run (default tiny,mlp)")
    args = parser.parse_args(argv)
    thread_counts = [int(value) for value in args.threads.split(",")]
    cases = [case for case in ("tiny", "mlp") if case in args.cases.split(",")]
    rounds = {"tiny": 100, "mlp": 30} if args.quick else {"tiny": 400, "mlp": 120}
    round_seconds = {"tiny": 0.003, "mlp": 0.005}  # a few ms per contender per round: few preemptions
    budget = {"tiny": 3.0, "mlp": 5.0} if args.quick else {"tiny": 12.0, "mlp": 30.0}  # seconds per thread count
    started = time.perf_counter()

    print("nnblocks NumPy engine benchmark" + (" (--quick)" if args.quick else ""))
    for line in machine_lines():
        print("  " + line)
    contenders, checks = {}, []
    if "tiny" in cases:
        contenders["tiny"] = build_tiny()
        checks += [f"tiny {name} {value:.1e}" for name, value in agreement(contenders["tiny"]).items()]
    if "mlp" in cases:
        contenders["mlp"], adam_variant = build_mlp()
        checks += [f"mlp {name} {value:.1e}" for name, value in agreement(contenders["mlp"]).items()]
        print(f"  torch Adam for the MLP: {adam_variant}")
    print("  same maths? max relative loss difference to ours over 3 steps from the same weights: "
          + "; ".join(checks))
    print()

    timing_rows, ratio_rows, all_timings = [], [], []
    names = ("ours", "hand-written", "torch eager")
    for count in thread_counts:
        timings = {}
        all_timings.append(timings)
        with thread_limit(count):
            for case in cases:
                timings[case] = measure(contenders[case], round_seconds[case], rounds[case], budget[case])
        if "tiny" in timings:
            tiny = timings["tiny"]
            timing_rows.append(["tiny 2-8-8-1, time per step", str(count)]
                               + [f"{format_seconds(tiny.best(name))} ({format_seconds(tiny.median(name)).strip()})"
                                  if name in tiny.rounds else "-" for name in names])
        if "mlp" in timings:
            mlp = timings["mlp"]
            timing_rows.append(["mlp 784-256-128-10, samples/s", str(count)]
                               + [f"{MLP_BATCH / mlp.best(name):8,.0f} ({MLP_BATCH / mlp.median(name):,.0f})"
                                  if name in mlp.rounds else "-" for name in names])

        def add(label, case, numerator, denominator, goal, higher_is_better, throughput=False):
            timing = timings.get(case)
            if timing is None or numerator not in timing.rounds or denominator not in timing.rounds:
                return
            best, typical, cpu = timing.ratio(numerator, denominator)
            if throughput:  # samples/s ratio = inverse of the time ratio
                best, typical, cpu = 1 / best, 1 / typical, 1 / cpu
            goal_text = "-" if goal is None else ("≥ " if higher_is_better else "≤ ") + f"{goal:g}"
            result = verdict_of_best_and_median(best, typical, goal, higher_is_better)
            cpu_text = f"{cpu:6.2f}" if count == 1 else "     -"
            ratio_rows.append([label, str(count), f"{best:6.2f}", f"{typical:6.2f}", cpu_text, goal_text, result])

        add("tiny: time per step, ours / hand-written", "tiny", "ours", "hand-written", 1.3, False)
        add("tiny: time per step, torch / ours", "tiny", "torch eager", "ours", 5.0, True)
        add("mlp: samples/s, ours / torch", "mlp", "ours", "torch eager", 0.9, True, throughput=True)
        add("mlp: samples/s, ours / hand-written", "mlp", "ours", "hand-written", None, True, throughput=True)
        add("mlp: samples/s, hand-written / torch", "mlp", "hand-written", "torch eager", None, True,
            throughput=True)

    print("Time per step (tiny) and samples per second (mlp): best round (median round in brackets):")
    print(table(["case", "threads", *names], timing_rows))
    print()
    print("Ratios: of the best rounds (headline, judged against the goal), of the median rounds, and (1 thread)")
    print("of the median CPU time of the calling thread, which leaves out time spent descheduled:")
    print(table(["ratio", "threads", "best", "median", "cpu", "goal", "result"], ratio_rows))
    print()
    done = {case: [len(t[case].rounds["ours"]) for t in all_timings] for case in cases}
    for line in closing_lines(started, "Rounds run per thread count: " + ", ".join(f"{case} {done[case]}" for case in cases)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
