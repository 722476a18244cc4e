"""Data for nnblocks: generated 2-D sets, scikit-learn's bundled sets, CSV files, splits.

Nothing here downloads: data is generated, read from an installed package, or read
from a path the user gives.
"""

from nnblocks.data.bundled import breast_cancer, diabetes, digits, iris, wine
from nnblocks.data.csv import read_csv
from nnblocks.data.dataset import Dataset
from nnblocks.data.playground import circle, gauss, multi_gaussian, plane, spiral, xor
from nnblocks.data.registry import DATASET_NAMES, load_dataset
from nnblocks.data.splits import Holdout, Split, split_fraction, train_validation_test_split
from nnblocks.data.synthetic import moons, spiral_classes
from nnblocks.data.tasks import encode_labels, infer_task

__all__ = [
    "DATASET_NAMES", "Dataset", "Holdout", "Split",
    "breast_cancer", "circle", "diabetes", "digits", "encode_labels", "gauss", "infer_task", "iris",
    "load_dataset", "moons", "multi_gaussian", "plane", "read_csv", "spiral", "spiral_classes",
    "split_fraction", "train_validation_test_split", "wine", "xor",
]

# Image readers (IDX, MedMNIST-style .npz, class folders) and per-channel normalising; see data/images.py.
from nnblocks.data.idx import read_idx, read_idx_dataset  # noqa: E402
from nnblocks.data.image_folders import read_image_folder  # noqa: E402
from nnblocks.data.images import channel_statistics, normalise_images  # noqa: E402
from nnblocks.data.npz_images import read_medmnist, read_medmnist_splits  # noqa: E402

__all__ += ["channel_statistics", "normalise_images", "read_idx", "read_idx_dataset", "read_image_folder",
            "read_medmnist", "read_medmnist_splits"]
