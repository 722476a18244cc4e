"""Training runs: a RunSpec in, a run folder out, and the tools to use it afterwards.

Library-level orchestration shared by every front end (the CLI, later the web pages):

    >>> from nnblocks.runs import RunSpec, train_run, load_run
    >>> result = train_run(RunSpec(dataset="circle", epochs=30), "runs/circle", progress=False)  # doctest: +SKIP
    >>> load_run("runs/circle").metrics["test"]                                                 # doctest: +SKIP
    {'loss': 0.02, 'accuracy': 1.0, 'roc_auc': 1.0}

Nothing here prints: errors are raised (nnblocks.errors) and results returned.
"""

from nnblocks.runs.data import load_run_data, read_inputs_csv, split_run_data
from nnblocks.runs.datasets import DatasetInfo, describe_datasets
from nnblocks.runs.figure_names import FIGURE_DESCRIPTIONS, FIGURE_FILES, FIGURE_NAMES
from nnblocks.runs.run_folder import RunResult, load_run, run_folder, update_readme_figures
from nnblocks.runs.spec import (ACTIVATION_NAMES, LOSS_NAMES, OPTIMIZER_NAMES, SCALINGS, RunSpec, parse_hidden,
                                suggested_training)
from nnblocks.runs.train_run import PreparedRun, build_model, evaluate_split, fit_prepared, prepare_run, train_run
from nnblocks.runs.use import check_run_gradients, check_spec_gradients, evaluate_run, predict_csv, predict_frame

__all__ = [
    "ACTIVATION_NAMES", "DatasetInfo", "FIGURE_DESCRIPTIONS", "FIGURE_FILES", "FIGURE_NAMES", "LOSS_NAMES",
    "OPTIMIZER_NAMES", "PreparedRun", "RunResult", "RunSpec", "SCALINGS", "build_model", "check_run_gradients",
    "check_spec_gradients", "describe_datasets", "evaluate_run", "evaluate_split", "fit_prepared", "load_run",
    "load_run_data", "parse_hidden", "predict_csv", "predict_frame", "prepare_run", "read_inputs_csv", "run_folder",
    "split_run_data", "suggested_training", "train_run", "update_readme_figures",
]
