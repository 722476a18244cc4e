"""Everything one playground session computes: its data, its network, training, and the maps.

No asyncio and no FastAPI here: ``Trainer`` is plain library code driven by ``session.py``
(one per WebSocket) and by ``benchmarks/bench_playground.py``. It uses the public pieces of
nnblocks: the playground data sets, ``Inputs`` for the seven feature toggles (raw features,
no scaling, as TF Playground feeds them; a CSV's columns are standardised), ``Sequential`` of
``Dense`` layers, ``get_optimizer``, and ``Network.train_step`` for every minibatch.

The fast path: the features of every row are computed once per change of data or network;
an epoch is one shuffle of the training rows and ``train_step`` on consecutive slices; a
frame is one forward pass (``grid.PlaneEvaluator``) over the 100 x 100 grid, the training and
the test rows together, which gives the output map, every neuron's map, both losses and the
accuracies at once. The network runs in float32: training costs the same as in float64 (the
batches are small), and the maps cost a fifth (tanh over float32 is that much faster).
"""

from __future__ import annotations

import math

import numpy as np

from nnblocks.blocks.inputs import Inputs
from nnblocks.blocks.layers import Dense
from nnblocks.blocks.losses import get_loss
from nnblocks.model import Sequential
from nnblocks.optim import get_optimizer
from nnblocks.training.metrics import accuracy, task_metrics
from nnblocks.web.playground import data as playground_data
from nnblocks.web.playground.grid import Maps, PlaneEvaluator, shown_values
from nnblocks.web.playground.outcomes import Divergence, Snapshot, output_design
from nnblocks.web.playground.state import (CSV_DATASET, DATA_FIELDS, DEFAULTS, FEATURES, NETWORK_FIELDS,
                                           OUTPUT_RESOLUTION, FieldError, bad, check_fields, settle)



class Trainer:
    """One session's data, network and training state.

    Args:
        dtype: the network's float type; float32 unless measuring (benchmarks/bench_playground.py).
    """

    def __init__(self, dtype: str = "float32") -> None:
        self.dtype = np.dtype(dtype)
        self.halt = False   # set from another thread to end train_epochs after the current epoch
        self.plane_version = 0
        self.state = {key: (list(value) if isinstance(value, list) else value) for key, value in DEFAULTS.items()}
        self.table: playground_data.Table | None = None
        self.points = playground_data.generate(self.state)
        self.build_network()

    # --- settings ----------------------------------------------------------------------------
    def feature_names(self) -> tuple[str, ...]:
        """The toggles the current data allows: the seven, plus x3, x4 ... of a wider CSV."""
        return FEATURES + tuple(f"x{index + 1}" for index in range(2, self.points.columns))

    def configure(self, partial: object) -> list[FieldError]:
        """Apply a partial state; rebuild data and/or network when they change. Returns refusals."""
        allowed = FEATURES + tuple(f"x{index + 1}" for index in range(2, len(self.table.column_names))) \
            if self.table is not None else self.feature_names()
        good, errors = check_fields(partial, allowed)
        before = {key: (list(value) if isinstance(value, list) else value) for key, value in self.state.items()}
        errors += settle(self.state, good, self.table.problems if self.table else None)
        changed = {key for key in self.state if self.state[key] != before[key]}
        if changed & DATA_FIELDS:
            self.make_data()
        fitting = [name for name in self.state["features"] if name in self.feature_names()]
        self.state["features"] = fitting or ["x1", "x2"]   # x3 ... leave with the table that had them
        changed |= {"features"} if self.state["features"] != before["features"] else set()
        if changed & (DATA_FIELDS | NETWORK_FIELDS):
            self.build_network()
        else:
            self.apply_live(changed)
        return errors

    def apply_live(self, changed: set[str]) -> None:
        """Settings that change between two steps without a reset (TF Playground's live rates)."""
        if "optimizer" in changed:
            self.model.optimizer = self.make_optimizer()
        elif "learning_rate" in changed:
            self.model.optimizer.learning_rate = self.state["learning_rate"]
        if changed & {"regularization", "regularization_rate"}:
            l1, l2 = self.penalties()
            for layer in self.model.layers:
                layer.l1, layer.l2 = l1, l2

    def penalties(self) -> tuple[float, float]:
        rate = self.state["regularization_rate"]
        return (rate if self.state["regularization"] == "l1" else 0.0,
                rate if self.state["regularization"] == "l2" else 0.0)

    def make_optimizer(self):
        return get_optimizer(self.state["optimizer"], learning_rate=self.state["learning_rate"])

    # --- data ----------------------------------------------------------------------------------
    def make_data(self) -> None:
        if self.state["dataset"] == CSV_DATASET:
            self.points = playground_data.from_table(self.table, self.state)
        else:
            self.points = playground_data.generate(self.state)

    def use_table(self, table: playground_data.Table) -> None:
        """Switch to an uploaded table: its problem, all of its columns as inputs, a new network."""
        self.table = table
        self.state["dataset"] = CSV_DATASET
        self.state["problem"] = table.problems[0]
        if self.state["problem"] not in ("classification",) and self.state["loss"] == "cross_entropy":
            self.state["loss"] = "squared_error"
        if self.state["problem"] == "classification" and self.state["loss"] not in ("cross_entropy", "squared_error"):
            self.state["loss"] = "cross_entropy"
        self.make_data()
        self.state["features"] = [f"x{index + 1}" for index in range(self.points.columns)]
        self.build_network()

    def regenerate(self) -> None:
        """New data with the same settings: the next seed (new points and new initial weights)."""
        self.state["seed"] += 1
        self.make_data()
        self.build_network()

    # --- the network -----------------------------------------------------------------------------
    @property
    def classes(self) -> int:
        return self.points.classes if self.state["problem"] == "classification" else 0

    def build_network(self) -> None:
        """A fresh network (weights from the seed, so a shared link starts from the same ones), epoch 0."""
        state = self.state
        self.design = output_design(state["problem"], state["loss"], self.classes)
        l1, l2 = self.penalties()
        layers = [Dense(units, activation=state["activation"], l1=l1, l2=l2) for units in state["hidden"]]
        layers.append(Dense(self.design.units, activation=self.design.activation, l1=l1, l2=l2))
        scaling = "standard" if state["dataset"] == CSV_DATASET else None   # TF Playground feeds raw features
        inputs = Inputs(derived=list(state["features"]), include_original=False, scaling=scaling)
        model = Sequential(layers, loss=self.design.loss, inputs=inputs, dtype=self.dtype.name, seed=state["seed"])
        rows = self.points.x[self.points.train] if self.points.train.sum() >= 2 else self.points.x
        model.inputs.adapt(rows if len(rows) else np.zeros((1, self.points.columns)))
        model.build((model.inputs.output_size,))
        if state["problem"] == "classification":
            model.classes = self.class_labels()
        model.optimizer = self.make_optimizer()
        self.model = model
        self.frame_loss = get_loss(model.loss.get_config())   # its own: loss objects keep state between calls
        self.reset_training()

    def class_labels(self) -> np.ndarray:
        """The labels ``predict`` returns: 0..K-1 for generated sets, the CSV's own labels for a table."""
        if self.state["dataset"] == CSV_DATASET and self.table is not None and self.table.labels is not None:
            return np.asarray(self.table.labels)
        return np.arange(max(self.classes, 2))

    def reset(self) -> None:
        """Back to epoch 0 with the initial weights the seed gives (the ones a shared link reproduces)."""
        self.build_network()

    def reset_training(self) -> None:
        self.epoch = 0
        self.divergence: Divergence | None = None
        self.shuffle = np.random.default_rng([self.state["seed"], 2])
        self.prepare_arrays()

    def prepare_arrays(self) -> None:
        """Features and targets of every row, and the maps' points: once per change of data or network."""
        points, model = self.points, self.model
        width = model.inputs.output_size
        dtype = self.dtype
        features = model.inputs.transform(points.x).astype(dtype) if len(points.y) else np.zeros((0, width), dtype)
        targets = self.encode(points.y)
        self.f_train, self.t_train = features[points.train], targets[points.train]
        self.f_test, self.t_test = features[~points.train], targets[~points.train]
        self.y_train, self.y_test = points.y[points.train], points.y[~points.train]
        grid = model.inputs.transform(self.grid_rows()).astype(dtype)
        self.grid_size = len(grid)
        self.plane = PlaneEvaluator(np.vstack([grid, self.f_train, self.f_test]), dtype,
                                    exact_from=len(grid))   # the grid is a picture; the data rows are numbers
        self.plane_version += 1   # a frame process holding the old points must load these

    def encode(self, y: np.ndarray) -> np.ndarray:
        kind = self.design.targets
        if kind == "codes":
            return y.astype(np.int64)
        if kind == "one_hot":
            return np.eye(self.design.units, dtype=self.dtype)[y.astype(np.int64)]
        return y.astype(self.dtype).reshape(-1, 1)

    def grid_rows(self) -> np.ndarray:
        """The raw rows at the pixel centres of the output map: row 0 at the top (largest x2)."""
        x_from, x_to, y_from, y_to = self.points.extent
        centres = (np.arange(OUTPUT_RESOLUTION) + 0.5) / OUTPUT_RESOLUTION
        x1 = x_from + centres * (x_to - x_from)
        x2 = y_to - centres * (y_to - y_from)
        rows = np.tile(self.points.slice_values(), (OUTPUT_RESOLUTION * OUTPUT_RESOLUTION, 1))
        grid_x2, grid_x1 = np.meshgrid(x2, x1, indexing="ij")
        rows[:, 0], rows[:, 1] = grid_x1.ravel(), grid_x2.ravel()
        return rows

    # --- training ----------------------------------------------------------------------------------
    def train_epochs(self, count: int) -> int:
        """Up to ``count`` epochs of shuffled minibatches; stops at a non-finite loss. Returns epochs run."""
        model, features, targets = self.model, self.f_train, self.t_train
        rows = len(targets)
        if rows == 0 or self.divergence is not None:
            return 0
        batch = min(self.state["batch_size"], rows)
        with np.errstate(over="ignore", invalid="ignore"):   # a diverging run is caught by its loss, below
            return self._epochs(count, model, features, targets, rows, batch)

    def _epochs(self, count: int, model, features: np.ndarray, targets: np.ndarray, rows: int, batch: int) -> int:
        for done in range(count):
            if self.halt:
                return done
            order = self.shuffle.permutation(rows)
            shuffled_x, shuffled_t = features[order], targets[order]
            for step, start in enumerate(range(0, rows, batch)):
                loss, _ = model.train_step(shuffled_x[start:start + batch], shuffled_t[start:start + batch])
                if not math.isfinite(loss):
                    self.divergence = Divergence(self.epoch + 1, step + 1, loss, self.state["learning_rate"],
                                                 self.largest_weight())
                    return done
            self.epoch += 1
        return count

    def largest_weight(self) -> float:
        largest = 0.0
        for layer in self.model.layers:
            value = float(np.max(np.abs(layer.params["weight"])))
            if not math.isfinite(value):
                return value
            largest = max(largest, value)
        return largest

    # --- edits ------------------------------------------------------------------------------------
    def set_weight(self, layer: int, source: int, target: int, value: float) -> None:
        weight = self.dense(layer).params["weight"]
        if not 0 <= source < weight.shape[0]:
            raise bad("source", f"an input of layer {layer}, from 0 to {weight.shape[0] - 1}", source)
        if not 0 <= target < weight.shape[1]:
            raise bad("target", f"a unit of layer {layer}, from 0 to {weight.shape[1] - 1}", target)
        weight[source, target] = value

    def set_bias(self, layer: int, unit: int, value: float) -> None:
        bias = self.dense(layer).params["bias"]
        if not 0 <= unit < bias.shape[0]:
            raise bad("unit", f"a unit of layer {layer}, from 0 to {bias.shape[0] - 1}", unit)
        bias[unit] = value

    def dense(self, layer: int) -> Dense:
        count = len(self.model.layers)
        if not 0 <= layer < count:
            raise bad("layer", f"a layer index from 0 to {count - 1} (the last is the output layer)", layer)
        return self.model.layers[layer]

    def set_slice(self, values: list) -> None:
        """Move the 2-D slice through the other columns (``Points.hold``); the maps follow, the weights stay."""
        self.points.hold(values)
        self.prepare_arrays()

    def edit_points(self, action: str, x: float, y: float, label, radius: float) -> int:
        """Draw a training point or erase points; the network keeps its weights and goes on learning."""
        if action == "add":
            playground_data.add_point(self.points, x, y, label)
            changed = 1
        else:
            changed = playground_data.erase_points(self.points, x, y, radius)
        if changed:
            self.prepare_arrays()
        return changed

    # --- the maps ---------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The network as it is now (copies), for a frame computed while training goes on."""
        return Snapshot(self.epoch, self.plane.matrices(self.model.layers))

    def frame(self, snapshot: Snapshot | None = None, maps: Maps | None = None) -> dict:
        """Losses, metrics, the output map, every neuron's map and the parameters (arrays, not yet encoded).

        From ``snapshot`` when given (the network as it was then); ``maps``: that snapshot's maps,
        drawn elsewhere (``frame_process``) — else they are drawn here.
        """
        snapshot = self.snapshot() if snapshot is None else snapshot
        with np.errstate(over="ignore", invalid="ignore"):   # a diverged network's maps are NaN, as they should be
            if maps is None:
                maps = self.plane.draw(self.activations(), snapshot.matrices, self.design.shown)
            train_rows = len(self.t_train)
            train_scores, test_scores = maps.scores[:, :train_rows].T, maps.scores[:, train_rows:].T   # (N, K)
            return {
                "epoch": snapshot.epoch,
                "train_loss": self.loss_of(train_scores, self.t_train),
                "test_loss": self.loss_of(test_scores, self.t_test),
                "metrics": self.metrics(train_scores, test_scores),
                "output": maps.shown,
                "inputs": maps.inputs,
                "hidden": maps.hidden,
                "weights": snapshot.weights,
                "biases": snapshot.biases,
            }

    def activations(self) -> list:
        return [layer.activation for layer in self.model.layers]

    def shown(self, scores: np.ndarray) -> np.ndarray:
        """What the output map shows: P(class 1), the K class probabilities, or the predicted value."""
        return shown_values(scores, self.design.shown)

    def loss_of(self, scores: np.ndarray, targets: np.ndarray) -> float | None:
        """The data loss (without the L1/L2 term, as TF Playground shows it); None without rows."""
        if len(targets) == 0:
            return None
        return float(self.frame_loss.forward(scores, targets))

    def predicted(self, scores: np.ndarray) -> np.ndarray:
        if scores.shape[1] > 1:
            return scores.argmax(axis=1)
        return (scores[:, 0] > (0.0 if self.design.shown == "sigmoid" else 0.5)).astype(np.int64)

    def metrics(self, train_scores: np.ndarray, test_scores: np.ndarray) -> dict:
        """The library's metrics (``nnblocks.training.metrics``) on the training and the test points:
        accuracy, plus ROC AUC on the test points with two classes; or MAE, RMSE and R² for values.
        (ROC AUC only on the test points: it is the honest number, and it sorts the scores every frame.)"""
        found = {}
        for part, scores, truth in (("train", train_scores, self.y_train), ("test", test_scores, self.y_test)):
            if not len(truth):
                continue
            if self.state["problem"] == "regression":
                values = task_metrics("regression", truth, None, None, scores[:, 0])
            elif part == "test" and self.classes <= 2:   # one output unit: its score ranks the points
                values = task_metrics("binary", truth, scores[:, 0], None, self.predicted(scores))
            else:
                values = {"accuracy": accuracy(truth, self.predicted(scores))}
            found.update({f"{part}_{name}": value for name, value in values.items()})
        return found

    def predict_point(self, x: float, y: float) -> np.ndarray:
        """The shown output (probabilities or value) at one point of the plane."""
        row = self.points.slice_values()
        row[0], row[1] = x, y
        scores = self.model.forward(self.model.inputs.transform(row[None, :]).astype(self.dtype))
        return self.shown(scores.T).T[0]

    def model_target(self, label):
        """A row's target as ``Sequential`` takes it: its class label (``model.classes``) or its value."""
        if self.state["problem"] == "classification":
            return self.model.classes[int(label)]
        return float(label)
