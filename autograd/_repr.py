"""PyTorch-style printing: ``tensor([1., 2.], requires_grad=True)``."""
import numpy as np

_PREFIX = "tensor("
_DEFAULT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


def _float_formatter(values):
    """Pick PyTorch's float style for these values: integer-valued floats
    print as ``1.``, others with four decimals, and wide ranges in
    scientific notation."""
    finite = values[np.isfinite(values)]
    nonzero = np.abs(finite[finite != 0])
    if finite.size and np.all(finite == np.round(finite)):
        if nonzero.size and nonzero.max() >= 1e8:
            return lambda v: _special(v) or f"{v:.4e}"
        return lambda v: _special(v) or f"{v:.0f}."
    if nonzero.size and (nonzero.max() / nonzero.min() > 1000.0
                         or nonzero.max() > 1e8 or nonzero.min() < 1e-4):
        return lambda v: _special(v) or f"{v:.4e}"
    return lambda v: _special(v) or f"{v:.4f}"


def _special(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _format_values(data):
    kind = data.dtype.kind
    if kind == "b":
        fmt = lambda v: "True" if v else "False"
    elif kind in "iu":
        fmt = str
    else:
        fmt = _float_formatter(data.astype(np.float64).ravel())
    strings = [fmt(v) for v in data.ravel().tolist()] if data.size else []
    width = max((len(s) for s in strings), default=0)
    padded = np.array([s.rjust(width) for s in strings], dtype=object).reshape(data.shape)
    return padded


def _nest(padded, indent):
    if padded.ndim == 0:
        return padded.item()
    if padded.ndim == 1:
        return "[" + ", ".join(padded.tolist()) + "]"
    rows = [_nest(row, indent + 1) for row in padded]
    separator = "," + "\n" * (padded.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(rows) + "]"


def tensor_repr(t):
    data = t._data
    if data.size == 0 and data.ndim == 1:
        body = "[]"
    elif data.size == 0:
        body = "[]"
    else:
        body = _nest(_format_values(data), len(_PREFIX))
    extras = []
    if data.size == 0 and data.shape != (0,):
        extras.append(f"size=({', '.join(str(s) for s in data.shape)}{',' if data.ndim == 1 else ''})")
    if data.dtype not in _DEFAULT_DTYPES:
        extras.append(f"dtype=autograd.{data.dtype.name if data.dtype != np.bool_ else 'bool'}")
    if t._grad_fn is not None:
        extras.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return _PREFIX + body + "".join(", " + e for e in extras) + ")"
