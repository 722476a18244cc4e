"""A same-run baseline: TF Playground's engine work per animation step, timed in real Chromium.

``tf_playground_engine.js`` is a hand-written re-implementation (not their code) of what TF
Playground's ``oneStep`` computes, minus the drawing. This module runs it in headless Chromium
through Playwright's sync API, so a benchmark can time it between its own rounds and print
"TF-style engine time / our time" from one run on one machine.

    from tf_playground_baseline import TFPlaygroundBaseline, available, unavailable_reason
    if available():
        with TFPlaygroundBaseline() as baseline:
            baseline.setup([8] * 6)
            baseline.seconds_per_step(20)          # warm-up: V8 compiles the hot loops first
            seconds = baseline.seconds_per_step(10)
    else:
        print("TF-style baseline skipped:", unavailable_reason())

Run as a script, it checks the engine against NumPy and prints its speed and its losses.
No server, no network, and never ``playwright install``: it uses the system's Chromium.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ENGINE_FILE = Path(__file__).resolve().parent / "tf_playground_engine.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def unavailable_reason() -> str | None:
    """None when the baseline can run here, else why not (for the benchmark's "skipped" line)."""
    if importlib.util.find_spec("playwright") is None:
        return "the Python package playwright is not installed"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM}"
    if not ENGINE_FILE.is_file():
        return f"missing {ENGINE_FILE.name}"
    return None


def available() -> bool:
    return unavailable_reason() is None


class TFPlaygroundBaseline:
    """One headless Chromium page holding the engine; use it as a context manager."""

    def __enter__(self) -> TFPlaygroundBaseline:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                             args=CHROMIUM_ARGS)
            self.page = self._browser.new_page()
            self.page.set_content("<!doctype html><html><body></body></html>")
            self.page.add_script_tag(content=ENGINE_FILE.read_text())
        except BaseException:
            self._playwright.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self._browser.close()
        finally:
            self._playwright.stop()

    @property
    def chromium_version(self) -> str:
        return self._browser.version

    def call(self, name: str, *arguments):
        """Call ``tfPlaygroundEngine[name](...arguments)`` in the page; JSON in, JSON out."""
        return self.page.evaluate("([name, args]) => tfPlaygroundEngine[name](...args)", [name, list(arguments)])

    def setup(self, hidden: list[int], seed: int = 1) -> None:
        """A fresh spiral data set and network (inputs x and y, tanh, batch 10, learning rate 0.03)."""
        self.call("setup", list(hidden), seed)

    def seconds_per_step(self, count: int) -> float:
        """Run ``count`` steps back to back inside the page; seconds per step by performance.now()
        (whose resolution in Chromium is about 0.1 ms, so time several steps at once)."""
        return self.call("steps", count)


# --- the script: correctness against NumPy, then speed and losses -----------------------------

def numpy_forward(layers, x, y):
    """The same network in NumPy; returns the pre-activations and outputs of every layer."""
    import numpy as np

    outputs, totals = [np.array([x, y])], []
    for layer in layers:
        totals.append(np.array(layer["weights"]) @ outputs[-1] + np.array(layer["biases"]))
        outputs.append(np.tanh(totals[-1]))
    return totals, outputs


def numpy_gradients(layers, x, y, target):
    """d(0.5 (o - t)^2)/d(bias) and /d(weight) per layer, by the chain rule in matrix form."""
    import numpy as np

    totals, outputs = numpy_forward(layers, x, y)
    gradients = [None] * len(layers)
    output_der = outputs[-1] - target
    for index in reversed(range(len(layers))):
        input_der = output_der * (1 - np.tanh(totals[index]) ** 2)
        gradients[index] = {"biases": input_der, "weights": np.outer(input_der, outputs[index])}
        output_der = np.array(layers[index]["weights"]).T @ input_der
    return gradients


def check_against_numpy(baseline: TFPlaygroundBaseline, hidden: list[int]) -> None:
    import numpy as np

    baseline.setup(hidden)
    baseline.seconds_per_step(3)  # a few training steps, so the weights are no longer the initial ones
    layers = baseline.call("weights")
    random = np.random.default_rng(0)
    points = random.uniform(-6, 6, size=(50, 2))
    ours = np.array([numpy_forward(layers, x, y)[1][-1][0] for x, y in points])
    theirs = np.array([baseline.call("outputFor", float(x), float(y)) for x, y in points])
    print(f"  outputs at 50 points vs NumPy: largest difference {np.max(np.abs(ours - theirs)):.1e}")

    x, y, target = 1.3, -2.7, -1.0
    from_js = baseline.call("gradientsFor", x, y, target)
    from_numpy = numpy_gradients(layers, x, y, target)
    chain_rule = max(np.max(np.abs(np.array(in_javascript[kind]) - in_numpy[kind]))
                     for in_javascript, in_numpy in zip(from_js, from_numpy) for kind in ("biases", "weights"))
    print(f"  one backProp vs NumPy chain rule: largest difference {chain_rule:.1e}")

    # Central finite differences on the first layer's weights, with the NumPy forward pass.
    def error(changed):
        return 0.5 * (numpy_forward(changed, x, y)[1][-1][0] - target) ** 2

    step, worst = 1e-6, 0.0
    for row in range(len(layers[0]["weights"])):
        for column in range(2):
            plus = [dict(layer, weights=[list(weights_row) for weights_row in layer["weights"]]) for layer in layers]
            minus = [dict(layer, weights=[list(weights_row) for weights_row in layer["weights"]]) for layer in layers]
            plus[0]["weights"][row][column] += step
            minus[0]["weights"][row][column] -= step
            estimate = (error(plus) - error(minus)) / (2 * step)
            worst = max(worst, abs(estimate - from_js[0]["weights"][row][column]))
    print(f"  first-layer weight derivatives vs finite differences (h = 1e-6): largest difference {worst:.1e}")


def main() -> None:
    reason = unavailable_reason()
    if reason:
        raise SystemExit(f"cannot run: {reason}")
    from bench_playground import NETWORKS as networks, TF_STEP   # the nets and TF Playground's own figures

    with TFPlaygroundBaseline() as baseline:
        print(f"Chromium {baseline.chromium_version}")
        for name, hidden in networks.items():
            print(f"{name}: correctness")
            check_against_numpy(baseline, hidden)
        for name, hidden in networks.items():
            baseline.setup(hidden)
            baseline.seconds_per_step(30)  # warm-up: let V8 optimise the loops before timing
            rounds = [baseline.seconds_per_step(10) for _ in range(15)]
            print(f"{name}: best {min(rounds) * 1e3:.2f} ms/step, median {statistics.median(rounds) * 1e3:.2f} ms/step"
                  f" (15 rounds of 10 steps; TF Playground on the lab machine: {TF_STEP[name] * 1e3:g} ms)")
        for name, hidden in networks.items():
            baseline.setup(hidden)
            history = []
            for mark in (1, 10, 100, 300):
                baseline.seconds_per_step(mark - (history[-1][0] if history else 0))
                losses = baseline.call("losses")
                history.append((mark, losses["train"], losses["test"]))
            print(f"{name}: loss (train / test) after " +
                  ", ".join(f"{mark} steps {train:.4f} / {test:.4f}" for mark, train, test in history))


if __name__ == "__main__":
    main()
