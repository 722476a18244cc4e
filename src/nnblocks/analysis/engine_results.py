"""What ``compare_engines`` returns: one engine's run, both runs with the advice, and the thresholds.

Kept apart so the measuring, the preparing and the advice can all name these without importing
each other (see ``engine_comparison`` for what is measured and how).
"""

from __future__ import annotations

from dataclasses import dataclass, field

OWNER = "compare_engines"
MAIN_METRIC = {"binary": "accuracy", "multiclass": "accuracy", "regression": "r2"}
SAME_SPEED = 1.15      # step times within this ratio count as "about the same"
SAME_METRIC = 0.02     # accuracy / R² within this count as "the same result"
ENGINE_NAMES = {"numpy": "NumPy", "torch": "PyTorch"}


@dataclass
class EngineRun:
    """What one engine did with the network."""

    engine: str                       # "numpy" or "torch"
    device: str                       # "cpu", "cuda", "cuda:1", "mps"
    seconds_per_step: float
    samples_per_second: float
    epoch_seconds: list[float]        # training time of each epoch (its steps only)
    steps_per_epoch: int
    fit_seconds: float                # the whole fit: engine set-up, steps, validation
    metrics: dict[str, float]         # on the evaluated part
    peak_memory_bytes: int | None = None
    memory_method: str = "not measured"
    resident_growth_bytes: int | None = None   # peak RSS growth, measured the same way for both engines


@dataclass
class EngineComparison:
    """Both engines' runs and the recommendation drawn from them."""

    runs: dict[str, EngineRun]
    task: str
    metric: str                       # the main metric's name ("accuracy" or "r2")
    evaluated_on: str                 # "test" or "validation"
    parameters: int
    multiply_adds: int                # per example
    convolutional: bool
    batch_size: int
    epochs: int
    training_examples: int
    threads: dict[str, int] = field(default_factory=dict)   # {"NumPy's BLAS": 2, "OpenMP (torch)": 2}
    recommendation: str = field(default="")
    notes: list[str] = field(default_factory=list)           # caveats about how far to trust the numbers

    @property
    def speedup(self) -> float:
        """NumPy's time per step / torch's: above 1 torch is faster, below 1 NumPy is."""
        return self.runs["numpy"].seconds_per_step / self.runs["torch"].seconds_per_step
