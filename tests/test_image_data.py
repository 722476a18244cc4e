"""Tests of the image readers: IDX files written by hand, MedMNIST-style archives, class folders, normalising.

Every file is made here in ``tmp_path`` (IDX bytes with ``struct``, pictures with pillow,
archives with ``np.savez``), except the real PneumoniaMNIST archive in ../shared/data,
whose tests skip where that folder is absent.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnblocks.blocks.image_inputs import ImageInputs
from nnblocks.data import (Dataset, channel_statistics, normalise_images, read_idx, read_idx_dataset,
                           read_image_folder, read_medmnist, read_medmnist_splits)
from nnblocks.errors import DataError, ParameterError, ParameterTypeError

PNEUMONIAMNIST = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "pneumoniamnist" / \
    "pneumoniamnist.npz"
TYPE_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``, written out field by field as the format describes it."""
    header = struct.pack(">BBBB", 0, 0, TYPE_CODES[array.dtype.type], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


# --- IDX ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip_for_every_type(tmp_path, dtype, compress):
    rng = np.random.default_rng(0)
    images = (rng.uniform(-100, 100, (5, 4, 3)) if dtype in (np.float32, np.float64)
              else rng.integers(0, 100, (5, 4, 3))).astype(dtype)
    name = "images-idx3" + (".gz" if compress else "")
    read = read_idx(write_idx(tmp_path / name, images, compress))
    assert read.shape == (5, 4, 3) and read.dtype == np.dtype(dtype) and read.dtype.isnative
    np.testing.assert_array_equal(read, images)


def test_idx_known_bytes_decode_as_big_endian(tmp_path):
    # Two int16 values 0x0102 and 0x0304 after the header 00 00 0B 01 | 00 00 00 02.
    path = tmp_path / "two"
    path.write_bytes(bytes.fromhex("00000B01 00000002 0102 0304"))
    np.testing.assert_array_equal(read_idx(path), np.array([258, 772], dtype=np.int16))


def test_idx_gzip_is_recognised_from_content_not_name(tmp_path):
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    path = write_idx(tmp_path / "labels-without-gz-suffix", labels, compress=True)
    np.testing.assert_array_equal(read_idx(path), labels)


def test_idx_dataset_from_uint8_images_and_labels(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (12, 28, 28)).astype(np.uint8)
    labels = np.array([0, 1, 2] * 4, dtype=np.uint8)
    data = read_idx_dataset(write_idx(tmp_path / "train-images-idx3-ubyte.gz", images, compress=True),
                            write_idx(tmp_path / "train-labels-idx1-ubyte", labels))
    assert isinstance(data, Dataset) and len(data) == 12
    assert data.x.shape == (12, 28, 28) and data.x.dtype == np.uint8
    np.testing.assert_array_equal(data.x, images)
    assert data.y.dtype == np.int64 and data.y.tolist() == labels.tolist()
    assert data.task == "multiclass" and data.class_names == ["0", "1", "2"]
    assert data.feature_names == [] and data.name == "train-images-idx3-ubyte"
    assert "(12, 28, 28)" in data.description and "0 4, 1 4, 2 4" in data.description
    assert ImageInputs().adapt(data.x).shape == (1, 28, 28)


def test_idx_dataset_names_and_binary_task(tmp_path):
    images = write_idx(tmp_path / "i", np.zeros((4, 2, 2), np.uint8))
    labels = write_idx(tmp_path / "l", np.array([0, 1, 1, 0], np.uint8))
    data = read_idx_dataset(images, labels, class_names=["normal", "pneumonia"])
    assert data.task == "binary" and data.class_names == ["normal", "pneumonia"]
    three = write_idx(tmp_path / "three", np.array([0, 1, 2, 0], np.uint8))
    with pytest.raises(DataError, match="labels go up to 2, so 3 names"):
        read_idx_dataset(images, three, class_names=["normal", "pneumonia"])
    with pytest.raises(ParameterError, match="at least two different names"):
        read_idx_dataset(images, labels, class_names=["same", "same"])
    with pytest.raises(DataError, match="single class"):
        read_idx_dataset(images, write_idx(tmp_path / "zeros", np.zeros(4, np.uint8)))


def test_idx_dataset_shape_errors(tmp_path):
    images = write_idx(tmp_path / "images", np.zeros((4, 2, 2), np.uint8))
    labels = write_idx(tmp_path / "labels", np.array([0, 1, 1, 0], np.uint8))
    with pytest.raises(DataError, match="swapped"):
        read_idx_dataset(labels, images)
    with pytest.raises(DataError, match="4 images but .* 3 labels"):
        read_idx_dataset(images, write_idx(tmp_path / "three", np.array([0, 1, 1], np.uint8)))
    with pytest.raises(DataError, match="whole class numbers .* fractional"):
        read_idx_dataset(images, write_idx(tmp_path / "floats", np.array([0, 0.5, 1, 0], np.float32)))


def test_idx_truncated_file_names_expected_and_actual_bytes(tmp_path):
    data = idx_bytes(np.zeros((10, 28, 28), np.uint8))  # 16 header bytes + 7840 data bytes
    path = tmp_path / "cut-idx3-ubyte"
    path.write_bytes(data[:5000])
    with pytest.raises(DataError) as caught:
        read_idx(path)
    text = str(caught.value)
    assert str(path) in text and "truncated" in text and "7,856" in text and "5,000" in text and "Fix:" in text


def test_idx_truncated_gzip_and_damaged_gzip(tmp_path):
    data = idx_bytes(np.arange(300, dtype=np.int32).reshape(3, 10, 10))
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(data[:700]))  # a complete gzip stream of an incomplete IDX file
    with pytest.raises(DataError, match=r"truncated: .* 1,216 bytes .* holds 700"):
        read_idx(short)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(gzip.compress(data)[:40])  # the gzip stream itself is cut short
    with pytest.raises(DataError, match="cut.gz could not be decompressed"):
        read_idx(cut)


def test_idx_extra_bytes_are_refused(tmp_path):
    path = tmp_path / "long"
    path.write_bytes(idx_bytes(np.zeros(4, np.uint8)) + b"\x00" * 3)
    with pytest.raises(DataError, match="left over: .* 12 bytes .* holds 15"):
        read_idx(path)


@pytest.mark.parametrize("content, pattern", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "not an IDX file: its first bytes are 89 50 4e 47"),
    (bytes.fromhex("0000 0A 01 00000001 00"), "unknown IDX type code 0x0A"),
    (bytes.fromhex("0000 08 00"), "claims 0 dimensions"),
    (bytes.fromhex("0000 08 03 0000"), "truncated inside its header: expected 16 header bytes, got 6"),
    (b"\x00\x00", "holds 2 bytes"),
    (b"", "holds 0 bytes"),
], ids=["png-magic", "type-code", "no-dimensions", "short-header", "two-bytes", "empty"])
def test_idx_bad_headers(tmp_path, content, pattern):
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(DataError, match=pattern):
        read_idx(path)


def test_idx_absurd_sizes_are_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.gz"  # claims 65535^3 float64 values (2 PB) but holds nothing
    path.write_bytes(gzip.compress(bytes.fromhex("0000 0E 03 0000FFFF 0000FFFF 0000FFFF")))
    with pytest.raises(DataError, match="more than max_bytes"):
        read_idx(path)
    small = write_idx(tmp_path / "small", np.zeros((10, 10), np.uint8))
    with pytest.raises(DataError, match="100 bytes, more than max_bytes=99"):
        read_idx(small, max_bytes=99)


def test_idx_missing_path_and_folder(tmp_path):
    with pytest.raises(DataError, match="existing IDX file"):
        read_idx(tmp_path / "nowhere")
    with pytest.raises(DataError, match="not a folder"):
        read_idx(tmp_path)


# --- MedMNIST-style .npz -------------------------------------------------------------------------------
def write_medmnist(path: Path, shape=(28, 28), counts=(6, 2, 3), classes=3, drop=(), **extra) -> Path:
    rng = np.random.default_rng(2)
    arrays = {}
    for split, count in zip(("train", "val", "test"), counts):
        arrays[f"{split}_images"] = rng.integers(0, 256, (count, *shape)).astype(np.uint8)
        arrays[f"{split}_labels"] = (np.arange(count) % classes).astype(np.uint8)[:, None]
    for key in drop:
        del arrays[key]
    np.savez(path, **arrays, **extra)
    return path


def test_medmnist_grey_splits(tmp_path):
    path = write_medmnist(tmp_path / "tinymnist.npz")
    splits = read_medmnist_splits(path)
    assert list(splits) == ["train", "val", "test"]
    assert {name: len(data) for name, data in splits.items()} == {"train": 6, "val": 2, "test": 3}
    train = splits["train"]
    assert train.x.shape == (6, 1, 28, 28) and train.x.dtype == np.uint8
    assert train.y.dtype == np.int64 and train.y.tolist() == [0, 1, 2, 0, 1, 2]
    assert train.task == "multiclass" and train.feature_names == [] and train.name == "tinymnist_train"
    # val holds only classes 0 and 1, yet knows all three because K is counted over every split
    assert splits["val"].class_names == ["0", "1", "2"] and splits["val"].task == "multiclass"
    with np.load(path) as raw:
        np.testing.assert_array_equal(train.x[:, 0], raw["train_images"])
    single = read_medmnist(path, "TEST", class_names=["a", "b", "c"])
    assert single.class_names == ["a", "b", "c"] and len(single) == 3
    everything = read_medmnist(path, "all")
    assert len(everything) == 11 and everything.name == "tinymnist"
    np.testing.assert_array_equal(everything.x[6:8], splits["val"].x)


def test_medmnist_colour_becomes_nchw_and_class_names_key_is_read(tmp_path):
    path = write_medmnist(tmp_path / "colour.npz", shape=(5, 7, 3), classes=2,
                          class_names=np.array(["benign", "malignant"]))
    data = read_medmnist(path, "train")
    assert data.x.shape == (6, 3, 5, 7) and data.x.flags.c_contiguous
    with np.load(path) as raw:
        np.testing.assert_array_equal(data.x, raw["train_images"].transpose(0, 3, 1, 2))
    assert data.class_names == ["benign", "malignant"] and data.task == "binary"
    assert ImageInputs(scaling="standard").adapt(data.x).shape == (3, 5, 7)


def test_medmnist_missing_keys_are_all_listed(tmp_path):
    path = write_medmnist(tmp_path / "partial.npz", drop=("val_labels", "test_images", "test_labels"))
    with pytest.raises(DataError) as caught:
        read_medmnist_splits(path)
    text = str(caught.value)
    assert "val_labels, test_images, test_labels" in text and "train_images" in text and "Fix:" in text
    assert len(read_medmnist(path, "train")) == 6  # the train split alone is complete
    with pytest.raises(DataError, match="lacks the key"):
        read_medmnist(path, "val")


def test_medmnist_shape_and_content_errors(tmp_path):
    images = np.zeros((4, 8, 8), np.uint8)
    np.savez(tmp_path / "multi.npz", train_images=images, train_labels=np.zeros((4, 14), np.uint8))
    with pytest.raises(DataError, match=r"one class per image.*\(4, 14\).*multi-label"):
        read_medmnist(tmp_path / "multi.npz")
    np.savez(tmp_path / "volume.npz", train_images=np.zeros((4, 8, 8, 8), np.uint8),
             train_labels=np.array([0, 1, 0, 1]))
    with pytest.raises(DataError, match=r"2-D images.*\(4, 8, 8, 8\)"):
        read_medmnist(tmp_path / "volume.npz")
    np.savez(tmp_path / "count.npz", train_images=images, train_labels=np.array([0, 1, 0]))
    with pytest.raises(DataError, match="4 images but train_labels holds 3"):
        read_medmnist(tmp_path / "count.npz")
    np.savez(tmp_path / "objects.npz", train_images=np.array([images, None], dtype=object),
             train_labels=np.array([0, 1]))
    with pytest.raises(DataError, match="without pickle"):
        read_medmnist(tmp_path / "objects.npz")


def test_medmnist_file_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_medmnist(tmp_path / "missing.npz")
    (tmp_path / "text.npz").write_text("not an archive")
    with pytest.raises(DataError, match="is not an .npz archive: it starts with the bytes 6e 6f 74"):
        read_medmnist(tmp_path / "text.npz")
    (tmp_path / "cut.npz").write_bytes((write_medmnist(tmp_path / "whole.npz")).read_bytes()[:300])
    with pytest.raises(DataError, match="cut.npz could not be read as an .npz archive"):
        read_medmnist(tmp_path / "cut.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(DataError, match=r"single array \(.npy\)"):
        read_medmnist(tmp_path / "single.npy")
    with pytest.raises(ParameterError, match="'split' parameter of read_medmnist"):
        read_medmnist(write_medmnist(tmp_path / "ok.npz"), "validation")


@pytest.mark.skipif(not PNEUMONIAMNIST.is_file(), reason=f"the real PneumoniaMNIST archive is absent "
                    f"({PNEUMONIAMNIST} exists only in the development workplace)")
def test_real_pneumoniamnist_sizes_and_class_counts():
    splits = read_medmnist_splits(PNEUMONIAMNIST, class_names=["normal", "pneumonia"])
    expected = {"train": (3882, [388, 3494]), "val": (524, [135, 389]), "test": (624, [234, 390])}
    for name, (size, counts) in expected.items():
        data = splits[name]
        assert len(data) == size and data.x.shape == (size, 1, 28, 28) and data.x.dtype == np.uint8
        assert np.bincount(data.y).tolist() == counts
        assert data.task == "binary" and data.class_names == ["normal", "pneumonia"]
        assert f"normal {counts[0]}, pneumonia {counts[1]}" in data.description
    assert len(read_medmnist(PNEUMONIAMNIST, "all")) == 3882 + 524 + 624


# --- image folders ---------------------------------------------------------------------------------------
def save_picture(path: Path, size_wh: tuple[int, int], colour, mode: str = "RGB") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size_wh, colour).save(path)
    return path


@pytest.fixture
def pictures(tmp_path) -> Path:
    """root/cats: two PNGs 12 x 10 (w x h); root/dogs: a JPEG 20 x 16 and a PNG; plus files to skip."""
    root = tmp_path / "pets"
    save_picture(root / "cats" / "b.png", (12, 10), (255, 0, 0))
    save_picture(root / "cats" / "a.PNG", (12, 10), (250, 0, 0))
    save_picture(root / "dogs" / "x.jpg", (20, 16), (0, 0, 255))
    save_picture(root / "dogs" / "y.png", (12, 10), (0, 0, 250, 128), mode="RGBA")
    (root / "dogs" / "notes.txt").write_text("not a picture")
    save_picture(root / "dogs" / ".hidden.png", (3, 3), (0, 0, 0))
    save_picture(root / ".thumbnails" / "t.png", (3, 3), (0, 0, 0))
    (root / "README.md").write_text("loose files in the root are ignored")
    return root


def test_image_folder_resizes_to_size_and_labels_by_folder(pictures):
    data = read_image_folder(pictures, size=(8, 6))
    assert data.x.shape == (4, 3, 8, 6) and data.x.dtype == np.uint8 and data.x.flags.c_contiguous
    assert data.class_names == ["cats", "dogs"] and data.y.tolist() == [0, 0, 1, 1]
    assert data.task == "binary" and data.feature_names == [] and data.name == "pets"
    assert "(4, 3, 8, 6)" in data.description and "cats 2, dogs 2" in data.description
    assert np.all(data.x[0, 0] == 250) and np.all(data.x[1, 0] == 255)  # sorted: a.PNG before b.png
    assert np.all(data.x[:2, 2] == 0) and np.all(np.abs(data.x[2, 2].astype(int) - 255) <= 3)  # JPEG is lossy
    grey = read_image_folder(pictures, size=(8, 6), grey=True)
    assert grey.x.shape == (4, 1, 8, 6)
    assert ImageInputs().adapt(grey.x).transform(grey.x).max() <= 1.0


def test_image_folder_without_size_needs_one_size(pictures):
    with pytest.raises(DataError) as caught:
        read_image_folder(pictures)
    text = str(caught.value)
    assert "x.jpg" in text and "16 x 20" in text and "10 x 12" in text and "size=(10, 12)" in text
    (pictures / "dogs" / "x.jpg").unlink()
    assert read_image_folder(pictures).x.shape == (3, 3, 10, 12)
    only_jpeg = read_image_folder(pictures, extensions=("PNG",))  # endings match case-insensitively
    assert len(only_jpeg) == 3


def test_image_folder_corrupt_picture_is_named(pictures):
    (pictures / "cats" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with pytest.raises(DataError, match=r"broken\.png could not be read"):
        read_image_folder(pictures, size=(8, 8))
    (pictures / "cats" / "broken.png").unlink()
    good = Image.new("L", (64, 64), 7)
    good.save(pictures / "cats" / "cut.png")
    (pictures / "cats" / "cut.png").write_bytes((pictures / "cats" / "cut.png").read_bytes()[:40])
    with pytest.raises(DataError, match=r"cut\.png could not be read"):
        read_image_folder(pictures, size=(8, 8))


def test_image_folder_decompression_bomb_guard(pictures, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # the 12 x 10 pictures now count as bombs
    with pytest.raises(DataError, match=r"too large to be read safely.*over 100 pixels"):
        read_image_folder(pictures, size=(8, 8))


def test_image_folder_structure_errors(tmp_path, pictures):
    (pictures / "empty-class").mkdir()
    with pytest.raises(DataError, match=r"empty-class holds no pictures .* it is empty"):
        read_image_folder(pictures, size=(8, 8))
    (pictures / "empty-class" / "labels.csv").write_text("a,b")
    with pytest.raises(DataError, match="1 other file"):
        read_image_folder(pictures, size=(8, 8))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="at least two; it has 0 subfolder"):
        read_image_folder(empty)
    save_picture(tmp_path / "flat" / "one.png", (4, 4), (1, 2, 3))
    with pytest.raises(DataError, match="1 loose file"):
        read_image_folder(tmp_path / "flat")
    with pytest.raises(DataError, match="does not exist"):
        read_image_folder(tmp_path / "nowhere")


@pytest.mark.parametrize("size, error", [((0, 8), ParameterError), ((8,), ParameterTypeError),
                                         ("8x8", ParameterTypeError), ((8.5, 8), ParameterTypeError)])
def test_image_folder_bad_size(pictures, size, error):
    with pytest.raises(error, match="'size"):
        read_image_folder(pictures, size=size)


# --- normalising ---------------------------------------------------------------------------------------
def test_normalise_images_matches_image_inputs_standard_scaling():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (10, 3, 5, 4)).astype(np.uint8)
    images[:, 2] = 9  # a constant channel: its std counts as 1, as in ImageInputs
    expected = ImageInputs(scaling="standard").adapt(images).transform(images)
    np.testing.assert_allclose(normalise_images(images), expected, atol=1e-12)
    mean, std = channel_statistics(images)
    assert mean.shape == std.shape == (3,) and std[2] == 1.0
    other = rng.integers(0, 256, (2, 3, 5, 4)).astype(np.uint8)
    np.testing.assert_allclose(normalise_images(other, mean, std),
                               ImageInputs(scaling="standard").adapt(images).transform(other), atol=1e-12)
    grey = normalise_images(np.full((2, 3, 3), 4.0), mean=2.0, std=0.5)
    assert grey.shape == (2, 1, 3, 3) and np.all(grey == 4.0)


def test_normalise_images_errors():
    images = np.zeros((2, 3, 4, 4))
    with pytest.raises(ParameterError, match="'mean' parameter .* 3 \\(one per channel\\)"):
        normalise_images(images, mean=[1.0, 2.0])
    with pytest.raises(ParameterError, match="'std' parameter .* positive"):
        normalise_images(images, std=[1.0, 0.0, 1.0])
    with pytest.raises(DataError, match="non-empty batch of images"):
        normalise_images(np.zeros((4, 4)))
