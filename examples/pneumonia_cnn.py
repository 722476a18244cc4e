"""A small CNN on PneumoniaMNIST chest X-rays (28×28 grey; normal vs pneumonia), torch engine on the CPU.

    python examples/pneumonia_cnn.py --npz ../shared/data/pneumoniamnist/pneumoniamnist.npz
    python examples/pneumonia_cnn.py --npz ... --quick     # a smoke run: 600 training images, 2 epochs

The archive is read with ``nnblocks.data.read_medmnist_splits`` (``np.load(allow_pickle=False)``
inside: an npz file that needs pickle is refused).

The class balance moves between the splits, which is the point of this example:

    train   388 normal / 3,494 pneumonia   (10 % normal; this copy's training split was altered)
    val     135 normal /   389 pneumonia   (26 % normal)
    test    234 normal /   390 pneumonia   (38 % normal)

A network trained on the training split as it is learns that "pneumonia" is almost always
right, and its probabilities say so: at the usual cut of 0.5 it calls many normal test images
pneumonia. Two fair remedies, both using only training and validation data:

1. Oversample the normal images in the training data (drawn with replacement, seeded) until
   both classes are equally frequent, so the loss weighs the classes alike.
2. Choose the decision threshold on the validation split with ``model.choose_threshold(x_val,
   y_val)``, maximising balanced accuracy (the mean of the two recalls, which does not depend
   on the class balance). The test split is used once, at the end, to report.

Training stops when the validation ROC AUC has not improved for ``--patience`` epochs and keeps
the weights of the best epoch (EarlyStopping, also on validation data only).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch  # noqa: F401 - loaded before threadpool_limits, so the limit reaches torch's thread pool too
from threadpoolctl import threadpool_limits

from nnblocks import Conv2D, Dense, EarlyStopping, Flatten, ImageInputs, MaxPool2D, NNBlocksError, Sequential
from nnblocks.data import read_medmnist_splits
from nnblocks.training.metrics import confusion_matrix

CLASS_NAMES = ["normal", "pneumonia"]
GOAL = 0.85


def small_cnn(seed: int) -> Sequential:
    """Two conv blocks and a dense layer (as ``nnblocks.zoo.small_cnn``), ending in one logit for two classes."""
    he = {"activation": "relu", "weight_initializer": "he_uniform"}
    layers = [
        Conv2D(16, 3, padding="same", **he),      # (16, 28, 28)
        MaxPool2D(2),                             # (16, 14, 14)
        Conv2D(32, 3, padding="same", **he),      # (32, 14, 14)
        MaxPool2D(2),                             # (32, 7, 7)
        Flatten(),                                # (1568,)
        Dense(64, **he),                          # (64,)
        Dense(1),                                 # one logit: P(pneumonia) = sigmoid(logit)
    ]
    return Sequential(layers, loss="binary_cross_entropy", inputs=ImageInputs(scaling="unit"), seed=seed)


def balanced(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Add copies of the rarer class's images (drawn with replacement) until both classes are equally frequent."""
    counts = np.bincount(y, minlength=2)
    rare = int(np.argmin(counts))
    extra = np.random.default_rng(seed).choice(np.flatnonzero(y == rare), size=counts.max() - counts.min())
    rows = np.concatenate([np.arange(len(y)), extra])
    return x[rows], y[rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--npz", required=True, type=Path, help="pneumoniamnist.npz (MedMNIST layout)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 600 training images, 2 epochs")
    parser.add_argument("--epochs", type=int, default=20, help="at most this many epochs (default 20)")
    parser.add_argument("--patience", type=int, default=4, help="epochs without a better validation AUC")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for torch and NumPy (default 1: steadiest on a machine shared with "
                             "other work)")
    args = parser.parse_args(argv)
    try:
        with threadpool_limits(limits=args.threads):
            return run(args)
    except NNBlocksError as error:  # a missing or malformed archive: one line, no traceback
        print(f"Error: {error}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    splits = read_medmnist_splits(args.npz, class_names=CLASS_NAMES)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = ((splits[name].x, splits[name].y)
                                                            for name in ("train", "val", "test"))
    if args.quick:
        keep = np.random.default_rng(args.seed).permutation(len(y_train))[:600]
        x_train, y_train = x_train[keep], y_train[keep]
    epochs = 2 if args.quick else args.epochs
    for name, labels in (("train", y_train), ("val", y_val), ("test", y_test)):
        counts = np.bincount(labels, minlength=2)
        print(f"{name:>5}: {len(labels):5,} images, {counts[0]:5,} normal / {counts[1]:5,} pneumonia "
              f"({counts[0] / len(labels):.0%} normal)")

    x_fit, y_fit = balanced(x_train, y_train, args.seed)
    print(f"training on {len(y_fit):,} images: the normal ones oversampled to {np.bincount(y_fit)[0]:,}, "
          "as many as pneumonia")
    model = small_cnn(args.seed)
    stopper = EarlyStopping("val_roc_auc", patience=args.patience, restore_best_weights=True)
    started = time.perf_counter()
    history = model.fit(x_fit, y_fit, epochs=epochs, batch_size=64, learning_rate=0.001,
                        validation_data=(x_val, y_val), callbacks=[stopper], engine="torch", device="cpu",
                        seed=args.seed)
    seconds = time.perf_counter() - started
    ran = len(history.history["loss"])
    best = int(np.argmax(history.history["val_roc_auc"])) + 1
    print(f"small CNN, {model.summary().total_parameters:,} parameters: {ran} epochs with the torch engine on the "
          f"CPU in {seconds:.1f} s; weights of epoch {best} kept (best validation ROC AUC)")

    parts = {"train": (x_train, y_train), "val": (x_val, y_val), "test": (x_test, y_test)}
    at_half = {name: model.evaluate(x, y) for name, (x, y) in parts.items()}
    threshold = model.choose_threshold(x_val, y_val)   # validation only; kept in the model from here on
    chosen = {name: model.evaluate(x, y) for name, (x, y) in parts.items()}
    print(f"\ndecision threshold chosen on the validation split (balanced accuracy): P(pneumonia) > {threshold:.3f}")
    print(f"{'split':>5}  {'ROC AUC':>7}  {'accuracy at 0.5':>15}  {'accuracy at ' + format(threshold, '.3f'):>18}")
    for name in parts:
        print(f"{name:>5}  {chosen[name]['roc_auc']:7.4f}  {at_half[name]['accuracy']:15.4f}  "
              f"{chosen[name]['accuracy']:18.4f}")

    predicted = (model.predict(x_test) == 1).astype(int)
    matrix = confusion_matrix(y_test, predicted, 2)
    print(f"\ntest confusion matrix at threshold {threshold:.3f} (rows: true class, columns: predicted):")
    print(f"{'':>10} {'normal':>9} {'pneumonia':>10}")
    for index, name in enumerate(CLASS_NAMES):
        print(f"{name:>10} {matrix[index, 0]:9d} {matrix[index, 1]:10d}")
    recalls = matrix.diagonal() / matrix.sum(axis=1)
    print(f"recall: normal {recalls[0]:.3f}, pneumonia {recalls[1]:.3f}; balanced accuracy {recalls.mean():.4f}")
    if not args.quick:
        verdict = "PASS" if chosen["test"]["accuracy"] >= GOAL else "MISS"
        print(f"goal: test accuracy >= {GOAL}: {verdict} ({chosen['test']['accuracy']:.4f}; "
              f"ROC AUC {chosen['test']['roc_auc']:.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
