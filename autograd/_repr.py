"""PyTorch-style printing: ``tensor([1., 2.], requires_grad=True)``.

The output matches PyTorch's default print options character for character:
four digits of precision, rows wrapped at 80 columns, and tensors of more
than 1000 elements summarized to their first and last three entries along
each dimension.  One formatter, built from every value that will be shown,
picks a single style and width for the whole tensor:

* all shown values integral: ``1.`` (or scientific when they span more than
  three orders of magnitude or exceed 1e8);
* otherwise ``1.5000``, or scientific when the span exceeds three orders of
  magnitude, the largest exceeds 1e8 or the smallest is below 1e-4.

Zeros, nans and infs never influence that choice or the column width.
"""
import math

import numpy as np

from autograd import _dtype

_PRECISION = 4
_THRESHOLD = 1000     # more elements than this are summarized
_EDGEITEMS = 3        # entries kept at each end of a summarized dimension
_LINEWIDTH = 80
_PREFIX = "tensor("
_DEFAULT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


class _Formatter:
    """One style and column width for every value of a tensor."""

    def __init__(self, values):
        flat = values.reshape(-1)
        self.floating = flat.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        flat = flat.astype(np.float64)
        shown = flat[np.isfinite(flat) & (flat != 0)]
        if shown.size == 0:
            return
        magnitudes = np.abs(shown)
        smallest = float(magnitudes.min())
        largest = float(magnitudes.max())
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        if self.int_mode:
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8
            extra = 0 if self.sci_mode else 1   # room for the trailing "."
        else:
            self.sci_mode = (largest / smallest > 1000.0 or largest > 1.0e8
                             or smallest < 1.0e-4)
            extra = 0
        for v in shown.tolist():
            self.max_width = max(self.max_width, len(self._plain(v)) + extra)

    def _plain(self, value):
        if self.sci_mode:
            return f"{value:.{_PRECISION}e}"
        if self.int_mode:
            return f"{value:.0f}"
        return f"{value:.{_PRECISION}f}"

    def format(self, value):
        """``value`` as a string right-aligned to the common width."""
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{_PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{_PRECISION}f}"
        return " " * (self.max_width - len(text)) + text


def _summarized(data):
    """The values a summarized print shows (first and last entries per dim)."""
    if data.ndim == 0:
        return data
    if data.shape[0] > 2 * _EDGEITEMS:
        data = np.concatenate((data[:_EDGEITEMS], data[-_EDGEITEMS:]))
    if data.ndim == 1:
        return data
    return np.stack([_summarized(row) for row in data])


def _vector_str(data, indent, summarize, formatter):
    # each entry takes its width plus ", "
    per_line = max(1, (_LINEWIDTH - indent) // (formatter.max_width + 2))
    if summarize and data.shape[0] > 2 * _EDGEITEMS:
        entries = ([formatter.format(v) for v in data[:_EDGEITEMS].tolist()] + [" ..."]
                   + [formatter.format(v) for v in data[-_EDGEITEMS:].tolist()])
    else:
        entries = [formatter.format(v) for v in data.tolist()]
    lines = [", ".join(entries[i:i + per_line]) for i in range(0, len(entries), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(data, indent, summarize, formatter):
    if data.ndim == 0:
        return formatter.format(data.item())
    if data.ndim == 1:
        return _vector_str(data, indent, summarize, formatter)
    n = data.shape[0]
    if summarize and n > 2 * _EDGEITEMS:
        rows = ([_tensor_str(data[i], indent + 1, summarize, formatter) for i in range(_EDGEITEMS)]
                + ["..."]
                + [_tensor_str(data[i], indent + 1, summarize, formatter)
                   for i in range(n - _EDGEITEMS, n)])
    else:
        rows = [_tensor_str(data[i], indent + 1, summarize, formatter) for i in range(n)]
    separator = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(rows) + "]"


def _add_suffixes(text, suffixes, indent):
    """Append ``, suffix`` entries, starting a new line where one would pass
    the line width."""
    parts = [text]
    # NOTE: PyTorch counts the last line this way (two more than its length
    # when there is no newline); kept so that wrapping matches exactly.
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > _LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t):
    """``repr`` of a tensor, as PyTorch prints it (with ``autograd.`` dtypes)."""
    data = t._data
    indent = len(_PREFIX)
    suffixes = []
    dtype_name = repr(_dtype.from_numpy_dtype(data.dtype))
    if data.size == 0:
        # numpy-style: the shape is only implicit for shape (0,), and an
        # empty tensor has no values to suggest its dtype
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if data.dtype != _DEFAULT_DTYPES[0]:
            suffixes.append(f"dtype={dtype_name}")
        body = "[]"
    else:
        if data.dtype not in _DEFAULT_DTYPES:
            suffixes.append(f"dtype={dtype_name}")
        summarize = data.size > _THRESHOLD
        formatter = _Formatter(_summarized(data) if summarize else data)
        body = _tensor_str(data, indent, summarize, formatter)
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(_PREFIX + body, suffixes, indent)
