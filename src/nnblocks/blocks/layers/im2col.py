"""im2col and col2im: the two moves that turn convolution and pooling into array operations.

Images are NCHW, as in PyTorch: (N examples, C channels, H rows, W columns).

**im2col** ("image to columns") lays every kh×kw window the kernel visits side by side.
NumPy can do this without copying a single pixel: ``sliding_window_view`` returns a view
whose extra two axes walk inside the window, and slicing it with a step applies the stride:

    padded   (N, C, Hp, Wp)
    windows  (N, C, Ho, Wo, kh, kw)      windows[n, c, i, j, p, q] = padded[n, c, i·sh + p, j·sw + q]

A convolution is then one matrix product over (kh, kw, C); a pooling layer a max or a mean
over (kh, kw).

**col2im** is its adjoint, the backward move: every window entry's gradient is added back
to the pixel it was read from. Windows overlap when the stride is smaller than the kernel,
so a pixel collects gradient from several windows; the sum is done with one strided
slice per kernel offset (p, q) — kh·kw vectorised additions, never a loop over pixels:

    grad_padded[:, :, p : p + sh·Ho : sh, q : q + sw·Wo : sw] += grad_windows[:, :, :, :, p, q]

Output size along one axis, for size S, kernel k, stride s and padding (before, after):

    S_out = ⌊(S + before + after − k) / s⌋ + 1          (PyTorch's and Keras' floor rule)
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nnblocks.errors import DataError, ParameterError, ParameterTypeError
from nnblocks.validation import message

Pads = tuple[tuple[int, int], tuple[int, int]]   # ((top, bottom), (left, right))


# --- arguments ------------------------------------------------------------------------------
def pair(name: str, value: object, owner: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints (height, width), each >= ``minimum``, as a tuple of two ints."""
    values = (value, value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    expected = f"an integer >= {minimum} or a pair (height, width) of them"
    if not isinstance(values, (tuple, list)) or len(values) != 2 or not all(
            isinstance(item, numbers.Integral) and not isinstance(item, bool) for item in values):
        raise ParameterTypeError(message(name, owner, expected, value))
    if min(values) < minimum:
        raise ParameterError(message(name, owner, expected, value))
    return int(values[0]), int(values[1])


def padding_spec(value: object, owner: str) -> str | tuple[int, int]:
    """Check a padding argument: "same", "valid", an int or a pair (height, width) of ints >= 0."""
    if isinstance(value, str):
        if value.lower() in ("same", "valid"):
            return value.lower()
        raise ParameterError(message("padding", owner, "'same', 'valid', an integer >= 0 or a pair of them", value,
                                     "use 'same' (keep the size at stride 1), 'valid' (no padding) or a number."))
    return pair("padding", value, owner, minimum=0)


def resolve_padding(spec: str | tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
                    owner: str) -> Pads:
    """Rows and columns of zeros to add on each side, ((top, bottom), (left, right)).

    "same" follows PyTorch (stride 1 only): k − 1 in all, the odd one at the bottom/right.
    """
    if spec == "valid":
        return (0, 0), (0, 0)
    if spec == "same":
        if stride != (1, 1):
            raise ParameterError(message("padding", owner, "a number when the stride is not 1 ('same' keeps the "
                                         "size only at stride 1, as in PyTorch)", spec,
                                         f"use padding={kernel[0] // 2} (kernel // 2) for a stride-{stride[0]} "
                                         "convolution that halves the size."))
        (kh, kw) = kernel
        return ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2)
    return (spec[0], spec[0]), (spec[1], spec[1])


def check_image_shape(input_shape: tuple[int, ...], owner: str) -> None:
    """One example must be (channels, height, width)."""
    if len(input_shape) != 3:
        fix = ("reshape a (N, H, W) grey image batch to (N, 1, H, W), e.g. x[:, None] or x.reshape(N, 1, H, W); "
               "colour images go channels first: x.transpose(0, 3, 1, 2) turns (N, H, W, C) into (N, C, H, W).")
        raise ParameterError(message("input_shape", owner, "(channels, height, width) for each example — images "
                                     "batched as (N, C, H, W)", tuple(input_shape), fix))


def output_size(input_shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int], pads: Pads,
                owner: str, kernel_name: str = "kernel_size") -> tuple[int, int]:
    """(H_out, W_out) for one (C, H, W) example; a kernel bigger than the padded image is an error."""
    check_image_shape(input_shape, owner)
    padded = tuple(size + before + after for size, (before, after) in zip(input_shape[1:], pads))
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise ParameterError(message(kernel_name, owner, f"at most the (padded) image size {padded} (height, width)",
                                     kernel, f"the input is {tuple(input_shape)} (channels, height, width); use a "
                                     "smaller kernel, add padding, or remove a pooling layer before this one."))
    return tuple((size - k) // s + 1 for size, k, s in zip(padded, kernel, stride))


# --- the two moves ------------------------------------------------------------------------------
def pad(x: np.ndarray, pads: Pads, value: float = 0.0) -> np.ndarray:
    """(N, C, H, W) -> (N, C, H + top + bottom, W + left + right), filled with ``value``."""
    if pads == ((0, 0), (0, 0)):
        return x
    return np.pad(x, ((0, 0), (0, 0), *pads), constant_values=value)


def unpad(x: np.ndarray, pads: Pads) -> np.ndarray:
    """Undo ``pad``: drop the added rows and columns."""
    (top, bottom), (left, right) = pads
    return x[:, :, top:x.shape[2] - bottom, left:x.shape[3] - right]


def windows(padded: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """im2col as a view: (N, C, Hp, Wp) -> (N, C, Ho, Wo, kh, kw); no pixel is copied."""
    view = sliding_window_view(padded, kernel, axis=(2, 3))   # (N, C, Hp − kh + 1, Wp − kw + 1, kh, kw)
    return view[:, :, ::stride[0], ::stride[1]]


def col2im(grad_windows: np.ndarray, padded_shape: tuple[int, ...], stride: tuple[int, int]) -> np.ndarray:
    """Adjoint of ``windows``: (N, C, Ho, Wo, kh, kw) -> (N, C, Hp, Wp), overlapping entries summed."""
    _, _, rows, columns, kernel_rows, kernel_columns = grad_windows.shape
    grad_padded = np.zeros(padded_shape, dtype=grad_windows.dtype)
    row_stride, column_stride = stride
    for p in range(kernel_rows):          # one vectorised addition per kernel offset
        for q in range(kernel_columns):
            grad_padded[:, :, p:p + row_stride * rows:row_stride, q:q + column_stride * columns:column_stride] += \
                grad_windows[:, :, :, :, p, q]
    return grad_padded


def check_batch(x: np.ndarray, input_shape: tuple[int, ...] | None, owner: str) -> None:
    """A batch must be (N, C, H, W) with the channel count the layer was built for (a cheap check)."""
    if x.ndim != 4:
        raise DataError(f"{owner} expects images batched as (N, channels, height, width), a 4-D array. Got a "
                        f"{x.ndim}-D array of shape {x.shape} instead. Fix: reshape a (N, H, W) grey image batch "
                        "to (N, 1, H, W), e.g. x[:, None]; colour images go channels first: "
                        "x.transpose(0, 3, 1, 2) turns (N, H, W, C) into (N, C, H, W).")
    if input_shape is not None and x.shape[1] != input_shape[0]:
        raise DataError(f"{owner} was built for {input_shape[0]} channel(s) on axis 1, (N, {input_shape[0]}, H, W). "
                        f"Got a batch of shape {x.shape} instead. Fix: images are channels first (NCHW): "
                        "x.transpose(0, 3, 1, 2) turns (N, H, W, C) into (N, C, H, W).")
