"""How long do the pictures take? The model side of a boundary, and every figure of a run.

1. boundary: ``boundary_values`` on a 200 × 200 ``make_plane`` grid (40,000 points) for a
   trained 2-16-16-1 tanh network (the ``nnblocks train`` default) — the model's share of a
   decision-boundary figure: predict + predict_proba in batches of 8,192 points.
   Median and best of several runs; also the same 40,000 points through ``decision_function``
   in one call, the floor for any boundary code on this engine.
2. figures: each default figure of a spiral run, drawn and written as ``nnblocks train`` does
   (``write_run_figures`` with the TrainingRecorder that watched the training): decision
   boundary (resolution 200), neuron maps, network, loss curves and the 20-frame GIF; then all
   five in one call. Median of a few rounds (the first call, which also pays for imports and
   font loading, is reported on its own). Plus what recording the 20 frames added to training.

Not a test: it prints, on this machine, and asserts nothing (DESIGN.md §7).

Usage:  python benchmarks/bench_viz.py [--quick] [--threads 1]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import format_seconds, machine_lines, table, thread_limit, timed  # noqa: E402

FIGURES = ("decision_boundary", "neurons", "network", "loss", "training")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--threads", type=int, default=None, help="limit NumPy's BLAS threads (default: no limit)")
    options = parser.parse_args()
    repeats_boundary, repeats_figures = (5, 2) if options.quick else (15, 4)

    started = time.perf_counter()
    import_start = time.perf_counter()
    import matplotlib  # noqa: F401  (imported here to time it; the library imports it lazily)

    from nnblocks.runs import RunSpec, fit_prepared, prepare_run
    from nnblocks.viz import TrainingRecorder, boundary_values, write_run_figures
    from nnblocks.viz.plane import make_plane
    import_seconds = time.perf_counter() - import_start

    print("nnblocks figure benchmark")
    for line in machine_lines():
        if not line.startswith("torch"):   # no torch here
            print(" ", line)
    print(f"  matplotlib {matplotlib.__version__}; importing nnblocks.viz took {import_seconds:.2f} s")

    with thread_limit(options.threads) if options.threads else contextlib.nullcontext():
        # --- a trained 2-16-16-1 network: the `nnblocks train` default run ---------------------------
        spec = RunSpec(dataset="spiral")
        plain = prepare_run(spec)
        train_seconds = timed(lambda: fit_prepared(plain, progress=False), 1)[0]
        prepared = prepare_run(spec)
        split = prepared.split
        recorder = TrainingRecorder(split.x_train, split.y_train, epochs=20, resolution=80, x_test=split.x_test,
                                    y_test=split.y_test)
        recorded_seconds = timed(lambda: fit_prepared(prepared, progress=False, callbacks=[recorder]), 1)[0]
        model = prepared.model
        history = model.history.history

        # --- 1. the model's time for a 200 x 200 boundary ----------------------------------------------
        plane = make_plane(split.x_train, resolution=200)
        boundary = timed(lambda: boundary_values(model, plane), repeats_boundary)
        inputs = plane.to_inputs(plane.points)
        scores = timed(lambda: model.decision_function(inputs), repeats_boundary)

        # --- 2. every default figure of the run -----------------------------------------------------------
        with tempfile.TemporaryDirectory() as folder:
            def draw(which):
                return lambda: write_run_figures((model, split, history), folder, which, recorder=recorder)

            first_seconds = timed(draw(FIGURES), 1)[0]   # pays for fonts, caches, first-use imports
            each = {name: timed(draw([name]), repeats_figures) for name in FIGURES}
            together = timed(draw(FIGURES), repeats_figures)
            sizes = {name: (Path(folder) / file).stat().st_size for name, file in
                     {"decision_boundary": "decision_boundary.png", "neurons": "neurons.png",
                      "network": "network.png", "loss": "loss.png", "training": "training.gif"}.items()}

    print()
    print("1. boundary on a 200 x 200 grid (40,000 points), trained 2-16-16-1 tanh network:")
    print(table(["what", "median", "best", "per point"], [
        ["boundary_values (predict + predict_proba)", format_seconds(statistics.median(boundary)),
         format_seconds(min(boundary)), format_seconds(statistics.median(boundary) / 40_000)],
        ["decision_function, one call (the floor)", format_seconds(statistics.median(scores)),
         format_seconds(min(scores)), format_seconds(statistics.median(scores) / 40_000)],
    ]))
    print(f"   ({repeats_boundary} runs each)")
    print()
    print(f"2. figures of a spiral run ({len(history['loss'])} epochs, 250 training points), drawn and written:")
    rows = [[name, format_seconds(statistics.median(seconds)), format_seconds(min(seconds)),
             f"{sizes[name] / 1024:,.0f} KiB"] for name, seconds in each.items()]
    rows.append(["all five (one write_run_figures call)", format_seconds(statistics.median(together)),
                 format_seconds(min(together)), f"{sum(sizes.values()) / 1024:,.0f} KiB"])
    print(table(["figure", "median", "best", "file size"], rows))
    print(f"   ({repeats_figures} rounds each; the very first call of all five took {first_seconds:.2f} s)")
    print(f"   training (300 epochs, one run each) took {train_seconds:.2f} s without a recorder and "
          f"{recorded_seconds:.2f} s recording 20 frames at 80 x 80 ({recorded_seconds - train_seconds:+.2f} s)")
    print()
    print(f"Total wall time {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
