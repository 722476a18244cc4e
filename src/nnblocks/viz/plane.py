"""The 2-D plane a boundary is drawn on, and how its points become model inputs.

With two input features the plane is the input space itself. With more, the figure must
choose a plane and say which:

- ``"slice"``: two chosen features vary; every other feature is held at its median
  (numeric) or its most frequent value (categorical);
- ``"pca"``: the plane of the data's first two principal components, through the mean;
  each grid point is mapped back to a full input row (numeric features only).

This module computes; it draws nothing (so it needs no matplotlib).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nnblocks.errors import ParameterError
from nnblocks.validation import check_choice, check_integer, message


@dataclass
class Plane:
    """A grid over a 2-D view of the input space.

    Attributes:
        first, second: (R, R) grid coordinates (matplotlib's meshgrid layout).
        axis_names: labels for the two axes.
        description: a sentence saying which plane this is (shown on the figure).
        method: "inputs" (the data is 2-D), "slice" or "pca".
    """

    first: np.ndarray
    second: np.ndarray
    axis_names: tuple[str, str]
    description: str
    method: str
    _columns: list[str]
    _base: pd.Series | None = None
    _axes: tuple[int, int] = (0, 1)
    _mean: np.ndarray | None = None
    _components: np.ndarray | None = None
    _as_frame: bool = False

    @property
    def points(self) -> np.ndarray:
        """The grid's points in plane coordinates, (R·R, 2), row by row."""
        return np.column_stack([self.first.ravel(), self.second.ravel()])

    def to_inputs(self, points: np.ndarray):
        """Full input rows (array or DataFrame, like the training data) for plane points (M, 2)."""
        if self.method == "pca":
            rows = self._mean + points @ self._components
            return pd.DataFrame(rows, columns=self._columns) if self._as_frame else rows
        if self.method == "inputs":
            return pd.DataFrame(points, columns=self._columns) if self._as_frame else points
        frame = pd.DataFrame([self._base.to_numpy()] * len(points), columns=self._columns)
        frame[self._columns[self._axes[0]]] = points[:, 0]
        frame[self._columns[self._axes[1]]] = points[:, 1]
        return frame if self._as_frame else frame.to_numpy(dtype=np.float64)

    def project(self, x) -> np.ndarray:
        """Plane coordinates (N, 2) of data rows, to scatter them on the same axes."""
        table = _as_table(x, self._columns)
        if self.method == "pca":
            return (table.to_numpy(dtype=np.float64) - self._mean) @ self._components.T
        return table.iloc[:, list(self._axes)].to_numpy(dtype=np.float64)


def make_plane(x, resolution: int = 200, method: str = "auto", features: tuple = (0, 1),
               padding: float = 0.05) -> Plane:
    """A ``resolution`` × ``resolution`` grid spanning the data range (plus ``padding``) of a 2-D view of x.

    Args:
        x: the data (array (N, D) or DataFrame) whose range the grid covers.
        method: "auto" (the inputs themselves for D = 2, else "slice"), "slice" or "pca".
        features: for "slice", the two features (names or column positions) that vary.
    """
    resolution = check_integer("resolution", resolution, "make_plane", minimum=2, maximum=2000)
    method = check_choice("method", method, ["auto", "slice", "pca"], "make_plane")
    as_frame = isinstance(x, pd.DataFrame)
    columns = [str(name) for name in x.columns] if as_frame else [f"x{index + 1}" for index in range(np.shape(x)[1])]
    table = _as_table(x, columns)
    if method == "auto":
        method = "inputs" if len(columns) == 2 else "slice"
    if method == "pca":
        return _pca_plane(table, columns, resolution, padding, as_frame)
    axes = tuple(_column_index(feature, columns) for feature in features)
    if len(set(axes)) != 2:
        raise ParameterError(message("features", "make_plane", "two different features", features))
    coordinates = table.iloc[:, list(axes)].to_numpy(dtype=np.float64)
    first, second = _meshgrid(coordinates, resolution, padding)
    names = (columns[axes[0]], columns[axes[1]])
    if method == "inputs" or (len(columns) == 2 and axes == (0, 1)):
        return Plane(first, second, names, f"inputs {names[0]} and {names[1]}", "inputs", columns,
                     _axes=axes, _as_frame=as_frame)
    base = table.apply(_typical_value)
    held = [name for index, name in enumerate(columns) if index not in axes]
    description = (f"2-D slice through {names[0]} and {names[1]}; the other {len(held)} feature(s) held at their "
                   "median (numeric) or most frequent value")
    return Plane(first, second, names, description, "slice", columns, _base=base, _axes=axes, _as_frame=as_frame)


def _pca_plane(table: pd.DataFrame, columns: list[str], resolution: int, padding: float, as_frame: bool) -> Plane:
    numeric = table.apply(pd.to_numeric, errors="coerce")
    if numeric.isna().any().any():
        raise ParameterError(message("method", "make_plane", "'slice' for data with non-numeric columns", "pca",
                                     "use method='slice' and pick two features."))
    values = numeric.to_numpy(dtype=np.float64)
    mean = values.mean(axis=0)
    _, singular_values, right = np.linalg.svd(values - mean, full_matrices=False)
    components = right[:2]                                   # (2, D) orthonormal directions
    explained = singular_values[:2] ** 2 / max(np.sum(singular_values**2), 1e-300)
    first, second = _meshgrid((values - mean) @ components.T, resolution, padding)
    description = (f"plane of the first two principal components (explaining {explained[0]:.0%} and "
                   f"{explained[1]:.0%} of the variance), through the data's mean")
    return Plane(first, second, ("PC 1", "PC 2"), description, "pca", columns, _mean=mean,
                 _components=components, _as_frame=as_frame)


def _meshgrid(coordinates: np.ndarray, resolution: int, padding: float) -> tuple[np.ndarray, np.ndarray]:
    low, high = coordinates.min(axis=0), coordinates.max(axis=0)
    margin = np.maximum(high - low, 1e-9) * padding
    return np.meshgrid(np.linspace(low[0] - margin[0], high[0] + margin[0], resolution),
                       np.linspace(low[1] - margin[1], high[1] + margin[1], resolution))


def _as_table(x, columns: list[str]) -> pd.DataFrame:
    if isinstance(x, pd.DataFrame):
        return x.reset_index(drop=True)
    values = np.asarray(x)
    if values.ndim != 2 or values.shape[1] != len(columns):
        raise ParameterError(message("x", "make_plane", f"a 2-D array with {len(columns)} columns", values.shape))
    return pd.DataFrame(values, columns=columns)


def _column_index(feature, columns: list[str]) -> int:
    if isinstance(feature, (int, np.integer)) and 0 <= feature < len(columns):
        return int(feature)
    if isinstance(feature, str) and feature in columns:
        return columns.index(feature)
    raise ParameterError(message("features", "make_plane", f"column names or positions among {columns}", feature))


def _typical_value(column: pd.Series):
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return float(column.median())
    return column.mode().iloc[0]
