"""The built-in data sets, described in one line each (for listings in front ends)."""

from __future__ import annotations

from dataclasses import dataclass

import nnblocks.data as data_module
from nnblocks.data import DATASET_NAMES, load_dataset
from nnblocks.data.registry import GENERATED


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    task: str
    examples: int
    features: int
    generated: bool  # True: drawn at random (n_samples, noise, seed apply); False: a fixed bundled set
    description: str


def describe_datasets() -> list[DatasetInfo]:
    """One DatasetInfo per name in DATASET_NAMES, in that order (generated sets at their default size)."""
    infos = []
    for name in DATASET_NAMES:
        data = load_dataset(name)
        infos.append(DatasetInfo(name, data.task, len(data), data.number_of_features, name in GENERATED,
                                 _first_line(getattr(data_module, name).__doc__) or data.description))
    return infos


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0].strip() if text and text.strip() else ""
