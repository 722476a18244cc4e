"""Small real data sets that ship inside scikit-learn, as Datasets.

Only scikit-learn's bundled ``load_*`` functions are used: the files are part of the
installed package, so nothing is ever downloaded (the ``fetch_*`` functions would).
"""

from __future__ import annotations


import numpy as np

from nnblocks.data.dataset import Dataset


def _from_loader(loader: str, name: str, target_name: str, description: str,
                 class_names: list[str] | None = None) -> Dataset:
    """Wrap one scikit-learn Bunch; class names default to the loader's ``target_names``."""
    # Imported here, not at the top: scikit-learn takes a second to import, and the CLI
    # should not pay that on every start when the data comes from elsewhere.
    from sklearn import datasets

    bunch = getattr(datasets, loader)()
    regression = not hasattr(bunch, "target_names")
    if regression:
        task, y = "regression", np.asarray(bunch.target, dtype=np.float64)
    else:
        y = np.asarray(bunch.target, dtype=np.int64)
        class_names = class_names or [str(label) for label in bunch.target_names]
        task = "binary" if len(class_names) == 2 else "multiclass"
    return Dataset(x=np.asarray(bunch.data, dtype=np.float64), y=y,
                   feature_names=[str(feature) for feature in bunch.feature_names], target_name=target_name,
                   task=task, class_names=None if regression else class_names, name=name, description=description)


def iris() -> Dataset:
    """Fisher's iris: 150 flowers, 4 measurements in cm, 3 species of 50 each."""
    return _from_loader("load_iris", "iris", "species",
                        "Fisher's iris flowers (1936): sepal and petal length and width in cm, three species.")


def wine() -> Dataset:
    """Wine recognition: 178 wines, 13 chemical measurements, 3 cultivars (59/71/48)."""
    return _from_loader("load_wine", "wine", "cultivar",
                        "UCI wine recognition: chemical analysis of wines from three cultivars in one Italian region.",
                        class_names=["cultivar 1", "cultivar 2", "cultivar 3"])


def breast_cancer() -> Dataset:
    """Breast cancer Wisconsin (diagnostic): 569 tumours, 30 features; 0 = malignant, 1 = benign."""
    return _from_loader("load_breast_cancer", "breast_cancer", "diagnosis",
                        "Breast cancer Wisconsin (diagnostic): features of cell nuclei from fine-needle aspirates; "
                        "212 malignant, 357 benign.")


def digits() -> Dataset:
    """Handwritten digits: 1797 images of 8 x 8 pixels (values 0 to 16) flattened to 64 columns."""
    return _from_loader("load_digits", "digits", "digit",
                        "UCI optical recognition of handwritten digits: 8 x 8 images, grey levels 0-16, "
                        "flattened row by row into pixel_<row>_<column>.")


def diabetes() -> Dataset:
    """Diabetes: 442 patients, 10 baseline variables, regression on disease progression after one year."""
    return _from_loader("load_diabetes", "diabetes", "disease progression",
                        "Efron et al. (2004) diabetes study: age, sex, BMI, blood pressure and six serum "
                        "measurements (mean-centred and scaled by scikit-learn); target is disease progression "
                        "one year later (25 to 346).")
