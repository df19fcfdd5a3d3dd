"""Convolution and pooling over NCHW tensors: conv2d, max_pool2d, avg_pool2d,
adaptive_avg_pool2d (an unbatched CHW input works too, as in PyTorch).

conv2d lowers to matrix products: ``im2col`` copies every kernel window of
the input into the columns of a (C*kh*kw, N*OH*OW) matrix, the images side
by side, so that each of forward, weight gradient and input gradient is one
large matrix product over the whole batch (linalg_ops' ``matrix_product``:
sgemm.h or BLAS; ``np.matmul`` batched over groups); ``col2im`` scatters
column gradients back onto the input.  The column buffer lives only while
one product needs it: backward recomputes it from the saved input instead
of keeping it alive in between.

Each kernel is a C loop over typed memoryviews (float32 and float64, nogil)
in the compiled engine, with a numpy version beside it that the pure-Python
engine runs (strided slices over the kernel offsets, or small matrix
products); both give the same values.

The backward formulas are themselves recorded ops (``_conv2d_input_grad``,
``_conv2d_weight_grad``, ``_max_pool2d_scatter``, ``_box_mean_backward``),
each with its own formula, so ``create_graph=True`` differentiates them
again.  Integer arithmetic on sizes stays in Python objects: the compiled
build uses C division, which rounds negative quotients the other way.
"""
import cython
import numpy as np
from cython.parallel import prange

from engine.pointwise_ops import get_num_threads
from engine.reduce_ops import sum as reduce_sum
from engine.shape_ops import squeeze, unsqueeze

if not cython.compiled:
    from engine.graph import record
    from engine.linalg_ops import matrix_product
    from engine.tensor import TensorBase, format_shape, make


# ======================================================================
# Argument checks
# ======================================================================

_TORCH_NAMES = {
    "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
    "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double",
    "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}


def _torch_name(dtype):
    return _TORCH_NAMES.get(dtype.name, dtype.name)


def _tensor_data(name, x, arg, position):
    if not isinstance(x, TensorBase):
        raise TypeError(
            f"{name}(): argument '{arg}' (position {position}) must be Tensor, "
            f"not {type(x).__name__}"
        )
    return (cython.cast(TensorBase, x))._data


def _check_float(name, data):
    # The kernels exist for float32 and float64 only; integer convolution
    # and pooling have no gradient and no use in training.
    if data.dtype != np.float32 and data.dtype != np.float64:
        raise NotImplementedError(
            f"\"{name}\" not implemented for '{_torch_name(data.dtype)}' "
            "(only float32 and float64 tensors are supported)"
        )


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _int_pair(name, arg, value, what):
    """``value`` as a pair of ints: an int is used for both dimensions."""
    if _is_int(value):
        return (int(value), int(value))
    if isinstance(value, (tuple, list)) and all([_is_int(v) for v in value]):
        if len(value) == 1:
            return (int(value[0]), int(value[0]))
        if len(value) == 2:
            return (int(value[0]), int(value[1]))
    raise RuntimeError(f"{name}: {arg} must be {what}, but got {arg}={value!r}")


def _check_nchw(name, x):
    """Pooling inputs: (C, H, W) or (N, C, H, W) with only N allowed to be 0."""
    if x.ndim not in (3, 4) or 0 in x.shape[x.ndim - 3:]:
        raise RuntimeError(
            f"{name}: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{format_shape(x.shape)}"
        )
    _check_float(name, x)


def _planes(x):
    """A C-contiguous (planes, H, W) view or copy of a 3-D or 4-D array."""
    h = x.shape[x.ndim - 2]
    w = x.shape[x.ndim - 1]
    return np.ascontiguousarray(x).reshape(-1, h, w)


# ======================================================================
# im2col / col2im
# ======================================================================
# The columns of an (N, C, H, W) input form one (C*kh*kw, N*OH*OW) matrix:
# row (c, i, j) holds, image after image, the input value under kernel tap
# (i, j) of channel c at every output position (0 where it falls on the
# padding).  With all images side by side, each product of a conv2d step
# (forward, weight gradient, input gradient) is one large GEMM over the
# whole batch instead of one small GEMM per image.
#
# The C kernels take one (image, channel) plane at a time, in one of two
# ways:
# - output rows of _RUN_MIN or more elements are copied as runs.  A scratch
#   copy of the plane, padded and split by column phase (phase p holds the
#   padded columns p, p + sw, p + 2*sw, ...), makes each kernel tap's
#   output row one contiguous run of a phase's row, whatever the padding,
#   stride or dilation: one memcpy per row, no bounds tests, no strided
#   reads.  col2im adds the same runs into a zeroed scratch and writes the
#   plane from it once.
# - shorter rows are gathered element by element through a table of where
#   each column entry reads (-1: padding).  There a copy's setup costs more
#   than its few elements, and the scratch, which costs about sh*sw/taps of
#   the columns' own copying, no longer pays for itself.
#
# The plane loop runs on the user's thread count (set_num_threads) when
# there is enough work, each thread with its own scratch.  Planes write
# disjoint memory, so any thread split gives the same values.

# elements of the column matrix from which the plane loops use threads
_PARALLEL_MIN = 262144

# the shortest output rows copied as runs (ResNet-18's first layers, 32 and
# 16 wide, take half the time or less that way; 8 wide and narrower are
# faster through the table)
_RUN_MIN = 16


def _threads_for(size):
    threads = get_num_threads()
    return threads if size >= _PARALLEL_MIN else 1


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _split_plane(src: cython.pointer(cython.floating), scratch: cython.pointer(cython.floating),
                 h_n: cython.Py_ssize_t, w_n: cython.Py_ssize_t,
                 g: cython.pointer(cython.Py_ssize_t), rows: cython.pointer(cython.Py_ssize_t),
                 phases: cython.pointer(cython.Py_ssize_t)) -> cython.void:
    # Copy one (H, W) plane's values into the scratch's needed phases and
    # rows.  Padding entries stay as they are: zero, set once per kernel
    # call, since no plane writes them.
    # g (every kernel here): kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n,
    # then the padded plane's rows hp and a phase's width wq.  phases: per
    # phase p, (needed, qlo, qhi): entries q in [qlo, qhi) of phase p come
    # from input column q*sw + p - pl, the rest are padding.
    sw: cython.Py_ssize_t = g[3]
    pt: cython.Py_ssize_t = g[4]
    pl: cython.Py_ssize_t = g[5]
    hp: cython.Py_ssize_t = g[10]
    wq: cython.Py_ssize_t = g[11]
    r_end: cython.Py_ssize_t = min(hp, pt + h_n)
    p: cython.Py_ssize_t
    r: cython.Py_ssize_t
    q: cython.Py_ssize_t
    off: cython.Py_ssize_t
    lo: cython.Py_ssize_t
    hi: cython.Py_ssize_t
    d: cython.pointer(cython.floating)
    s: cython.pointer(cython.floating)
    for p in range(sw):
        if not phases[3 * p]:
            continue
        lo = phases[3 * p + 1]
        hi = phases[3 * p + 2]
        off = p - pl
        for r in range(pt, r_end):
            if not rows[r]:
                continue
            d = scratch + (p * hp + r) * wq
            s = src + (r - pt) * w_n
            if sw == 1:
                memcpy(d + lo, s + lo + off, (hi - lo) * cython.sizeof(d[0]))
            else:
                for q in range(lo, hi):
                    d[q] = s[q * sw + off]


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _merge_plane(scratch: cython.pointer(cython.floating), dst: cython.pointer(cython.floating),
                 h_n: cython.Py_ssize_t, w_n: cython.Py_ssize_t,
                 g: cython.pointer(cython.Py_ssize_t), rows: cython.pointer(cython.Py_ssize_t),
                 phases: cython.pointer(cython.Py_ssize_t)) -> cython.void:
    # The adjoint of _split_plane: write the whole (H, W) plane from the
    # scratch, 0 where no tap reads.
    sw: cython.Py_ssize_t = g[3]
    pt: cython.Py_ssize_t = g[4]
    pl: cython.Py_ssize_t = g[5]
    hp: cython.Py_ssize_t = g[10]
    wq: cython.Py_ssize_t = g[11]
    p: cython.Py_ssize_t
    r: cython.Py_ssize_t
    q: cython.Py_ssize_t
    ih: cython.Py_ssize_t
    off: cython.Py_ssize_t
    lo: cython.Py_ssize_t
    hi: cython.Py_ssize_t
    d: cython.pointer(cython.floating)
    s: cython.pointer(cython.floating)
    for ih in range(h_n):
        d = dst + ih * w_n
        memset(d, 0, w_n * cython.sizeof(d[0]))
        r = ih + pt
        if r >= hp or not rows[r]:
            continue
        for p in range(sw):
            if not phases[3 * p]:
                continue
            lo = phases[3 * p + 1]
            hi = phases[3 * p + 2]
            off = p - pl
            s = scratch + (p * hp + r) * wq
            if sw == 1:
                memcpy(d + lo + off, s + lo, (hi - lo) * cython.sizeof(d[0]))
            else:
                for q in range(lo, hi):
                    d[q * sw + off] = s[q]


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _im2col_plane_runs(src: cython.pointer(cython.floating),
                       dst: cython.pointer(cython.floating),
                       scratch: cython.pointer(cython.floating), row_stride: cython.Py_ssize_t,
                       h_n: cython.Py_ssize_t, w_n: cython.Py_ssize_t,
                       g: cython.pointer(cython.Py_ssize_t),
                       rows: cython.pointer(cython.Py_ssize_t),
                       phases: cython.pointer(cython.Py_ssize_t),
                       taps: cython.pointer(cython.Py_ssize_t)) -> cython.void:
    # src: one (H, W) input plane; dst: the plane's first tap row at this
    # image's columns, the next taps row_stride elements apart; taps: per
    # tap, where in the scratch its first output row starts.
    tap_n: cython.Py_ssize_t = g[0] * g[1]
    step: cython.Py_ssize_t = g[2] * g[11]
    oh_n: cython.Py_ssize_t = g[8]
    ow_n: cython.Py_ssize_t = g[9]
    t: cython.Py_ssize_t
    oh: cython.Py_ssize_t
    d: cython.pointer(cython.floating)
    s: cython.pointer(cython.floating)
    _split_plane(src, scratch, h_n, w_n, g, rows, phases)
    for t in range(tap_n):
        d = dst + t * row_stride
        s = scratch + taps[t]
        for oh in range(oh_n):
            memcpy(d + oh * ow_n, s + oh * step, ow_n * cython.sizeof(d[0]))


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _col2im_plane_runs(src: cython.pointer(cython.floating),
                       dst: cython.pointer(cython.floating),
                       scratch: cython.pointer(cython.floating), row_stride: cython.Py_ssize_t,
                       h_n: cython.Py_ssize_t, w_n: cython.Py_ssize_t,
                       g: cython.pointer(cython.Py_ssize_t),
                       rows: cython.pointer(cython.Py_ssize_t),
                       phases: cython.pointer(cython.Py_ssize_t),
                       taps: cython.pointer(cython.Py_ssize_t)) -> cython.void:
    # The adjoint of _im2col_plane_runs: src is the plane's first tap row at
    # this image's columns, dst the (H, W) plane it writes.
    tap_n: cython.Py_ssize_t = g[0] * g[1]
    step: cython.Py_ssize_t = g[2] * g[11]
    oh_n: cython.Py_ssize_t = g[8]
    ow_n: cython.Py_ssize_t = g[9]
    t: cython.Py_ssize_t
    oh: cython.Py_ssize_t
    ow: cython.Py_ssize_t
    d: cython.pointer(cython.floating)
    s: cython.pointer(cython.floating)
    memset(scratch, 0, g[3] * g[10] * g[11] * cython.sizeof(scratch[0]))
    for t in range(tap_n):
        s = src + t * row_stride
        d = scratch + taps[t]
        for oh in range(oh_n):
            for ow in range(ow_n):
                d[oh * step + ow] += s[oh * ow_n + ow]
    _merge_plane(scratch, dst, h_n, w_n, g, rows, phases)


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _im2col_plane_table(src: cython.pointer(cython.floating),
                        dst: cython.pointer(cython.floating),
                        row_stride: cython.Py_ssize_t, taps: cython.Py_ssize_t,
                        l_n: cython.Py_ssize_t, table: cython.pointer(cython.int)) -> cython.void:
    t: cython.Py_ssize_t
    l: cython.Py_ssize_t
    k: cython.int
    d: cython.pointer(cython.floating)
    e: cython.pointer(cython.int)
    for t in range(taps):
        d = dst + t * row_stride
        e = table + t * l_n
        for l in range(l_n):
            k = e[l]
            d[l] = src[k] if k >= 0 else 0


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _col2im_plane_table(src: cython.pointer(cython.floating),
                        dst: cython.pointer(cython.floating), plane_n: cython.Py_ssize_t,
                        row_stride: cython.Py_ssize_t, taps: cython.Py_ssize_t,
                        l_n: cython.Py_ssize_t, table: cython.pointer(cython.int)) -> cython.void:
    t: cython.Py_ssize_t
    l: cython.Py_ssize_t
    k: cython.int
    s: cython.pointer(cython.floating)
    e: cython.pointer(cython.int)
    memset(dst, 0, plane_n * cython.sizeof(dst[0]))
    for t in range(taps):
        s = src + t * row_stride
        e = table + t * l_n
        for l in range(l_n):
            k = e[l]
            if k >= 0:
                dst[k] += s[l]


@cython.cfunc
@cython.boundscheck(False)
@cython.wraparound(False)
def _im2col_kernel(x: cython.floating[:, :, :, ::1], cols: cython.floating[:, ::1],
                   scratch: cython.floating[:, ::1], adjoint: cython.bint,
                   geom: cython.Py_ssize_t[::1], rows: cython.Py_ssize_t[::1],
                   phases: cython.Py_ssize_t[::1], taps: cython.Py_ssize_t[::1],
                   table: cython.int[:, ::1], threads: cython.int) -> cython.void:
    # adjoint=False fills cols from x; adjoint=True writes x from cols.
    # A non-empty table selects the gather form of the plane loops; the
    # run form uses one scratch row per thread.
    n_n: cython.Py_ssize_t = x.shape[0]
    c_n: cython.Py_ssize_t = x.shape[1]
    h_n: cython.Py_ssize_t = x.shape[2]
    w_n: cython.Py_ssize_t = x.shape[3]
    tap_n: cython.Py_ssize_t = geom[0] * geom[1]
    l_n: cython.Py_ssize_t = geom[8] * geom[9]
    row_stride: cython.Py_ssize_t = cols.shape[1]
    plane_n: cython.Py_ssize_t = n_n * c_n
    scratch_n: cython.Py_ssize_t = scratch.shape[1]
    use_table: cython.bint = table.shape[0] > 0
    part: cython.Py_ssize_t
    q: cython.Py_ssize_t
    n: cython.Py_ssize_t
    c: cython.Py_ssize_t
    plane: cython.pointer(cython.floating)
    column: cython.pointer(cython.floating)
    own: cython.pointer(cython.floating)
    g: cython.pointer(cython.Py_ssize_t) = cython.address(geom[0])
    rw: cython.pointer(cython.Py_ssize_t) = cython.address(rows[0])
    ph: cython.pointer(cython.Py_ssize_t) = cython.address(phases[0])
    tp: cython.pointer(cython.Py_ssize_t) = cython.address(taps[0])
    tab: cython.pointer(cython.int) = cython.NULL
    if use_table:
        tab = cython.address(table[0, 0])
    with cython.nogil:
        # one even run of planes per thread
        for part in prange(threads, schedule="static", num_threads=threads):
            own = cython.address(scratch[part, 0])
            if not adjoint and not use_table:
                memset(own, 0, scratch_n * cython.sizeof(own[0]))
            for q in range(part * plane_n // threads, (part + 1) * plane_n // threads):
                # images inner: neighbouring planes fill neighbouring parts
                # of the same rows (whole cache lines when the planes are small)
                c = q // n_n
                n = q - c * n_n
                plane = cython.address(x[n, c, 0, 0])
                column = cython.address(cols[c * tap_n, n * l_n])
                if use_table:
                    if adjoint:
                        _col2im_plane_table(column, plane, h_n * w_n, row_stride, tap_n, l_n,
                                            tab)
                    else:
                        _im2col_plane_table(plane, column, row_stride, tap_n, l_n, tab)
                elif adjoint:
                    _col2im_plane_runs(column, plane, own, row_stride, h_n, w_n, g, rw, ph, tp)
                else:
                    _im2col_plane_runs(plane, column, own, row_stride, h_n, w_n, g, rw, ph, tp)


def _run_im2col_kernel(x, cols, adjoint, kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n):
    geom, rows, phases, taps, table = _plane_tables(x.shape[2], x.shape[3], kh, kw, sh, sw,
                                                    pt, pl, dh, dw, oh_n, ow_n)
    threads = _threads_for(cols.size)
    if table.shape[0] > 0:
        scratch = np.empty((threads, 1), dtype=x.dtype)
    else:
        # each thread's row ends a cache line or more before the next one
        # starts: rows sharing a line would bounce it between the cores
        scratch = np.empty((threads, (sw * geom[10] * geom[11] + 31) // 16 * 16),
                           dtype=x.dtype)
    if cython.compiled:
        x32: cython.float[:, :, :, ::1]
        c32: cython.float[:, ::1]
        s32: cython.float[:, ::1]
        x64: cython.double[:, :, :, ::1]
        c64: cython.double[:, ::1]
        s64: cython.double[:, ::1]
        if x.dtype == np.float32:
            x32 = x
            c32 = cols
            s32 = scratch
            _im2col_kernel[cython.float](x32, c32, s32, adjoint, geom, rows, phases, taps,
                                         table, threads)
        else:
            x64 = x
            c64 = cols
            s64 = scratch
            _im2col_kernel[cython.double](x64, c64, s64, adjoint, geom, rows, phases, taps,
                                          table, threads)


# A network runs the same few geometries over and over: keep their tables.
_TABLES = {}


def _plane_tables(h_n, w_n, kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n):
    """The plane kernels' tables for one plane geometry: the geometry
    vector, then for the run form the needed-row flags, per-phase column
    ranges and per-tap scratch offsets, and for narrow outputs the gather
    form's tap table (else an empty one)."""
    key = (h_n, w_n, kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n)
    found = _TABLES.get(key)
    if found is not None:
        return found
    # the extent of the padded plane that some tap reads, and a phase's width
    hp = (oh_n - 1) * sh + (kh - 1) * dh + 1
    wp = (ow_n - 1) * sw + (kw - 1) * dw + 1
    wq = -(-wp // sw)
    geom = np.array([kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n, hp, wq], dtype=np.intp)
    rows = np.zeros(hp, dtype=np.intp)
    for i in range(kh):
        rows[i * dh:i * dh + (oh_n - 1) * sh + 1:sh] = 1
    phases = np.zeros(3 * sw, dtype=np.intp)
    taps = np.zeros(kh * kw, dtype=np.intp)
    for j in range(kw):
        p, first = (j * dw) % sw, (j * dw) // sw
        # entry q of phase p is input column q*sw + p - pl: inside for q in [lo, hi)
        lo = min(max(0, -(-(pl - p) // sw)), wq)
        hi = max(lo, min(wq, -(-(w_n + pl - p) // sw)))
        phases[3 * p:3 * p + 3] = (1, lo, hi)
        for i in range(kh):
            taps[i * kw + j] = (p * hp + i * dh) * wq + first
    if ow_n < _RUN_MIN:
        table = _tap_table(h_n, w_n, kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n)
    else:
        table = np.zeros((0, 1), dtype=np.intc)
    if len(_TABLES) >= 256:
        _TABLES.clear()
    _TABLES[key] = (geom, rows, phases, taps, table)
    return geom, rows, phases, taps, table


def _column_spans(w_n, kw, sw, pl, dw, ow_n):
    """Per kernel column j: (off, lo, hi), where output column ow reads
    input column ow*sw + off, inside the plane for ow in [lo, hi)."""
    spans = np.zeros(3 * kw, dtype=np.intp)
    for j in range(kw):
        off = j * dw - pl
        lo = 0 if off >= 0 else (sw - 1 - off) // sw
        hi = 0 if w_n - 1 - off < 0 else (w_n - 1 - off) // sw + 1
        lo = min(lo, ow_n)
        spans[3 * j:3 * j + 3] = (off, lo, max(lo, min(hi, ow_n)))
    return spans


def _tap_table(h_n, w_n, kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n):
    """(kh*kw, OH*OW) int32: where in an (H, W) plane each column entry reads, or -1."""
    ih = np.arange(oh_n)[None, :] * sh - pt + np.arange(kh)[:, None] * dh
    iw = np.arange(ow_n)[None, :] * sw - pl + np.arange(kw)[:, None] * dw
    inside = (((ih >= 0) & (ih < h_n))[:, None, :, None]
              & ((iw >= 0) & (iw < w_n))[None, :, None, :])
    flat = ih[:, None, :, None] * w_n + iw[None, :, None, :]
    return np.ascontiguousarray(np.where(inside, flat, -1).reshape(kh * kw, oh_n * ow_n),
                                dtype=np.intc)


def _window_slices(k, d, s, out_n):
    """Per kernel offset, the strided slice of a padded axis it reads."""
    return [slice(i * d, i * d + s * (out_n - 1) + 1, s) for i in range(k)]


def _padded_extent(size, k, d, s, out_n, before):
    """How much padding after the data the slices of ``_window_slices`` need."""
    return max(0, (k - 1) * d + s * (out_n - 1) + 1 - size - before)


def _im2col(x, kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n):
    """Columns (C*kh*kw, N*OH*OW) of a C-contiguous (N, C, H, W) array."""
    n_n, c_n, h_n, w_n = x.shape
    cols = np.empty((c_n * kh * kw, n_n * oh_n * ow_n), dtype=x.dtype)
    if cols.size == 0:
        return cols
    if cython.compiled:
        _run_im2col_kernel(x, cols, False, kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n)
        return cols
    pb = _padded_extent(h_n, kh, dh, sh, oh_n, pt)
    pr = _padded_extent(w_n, kw, dw, sw, ow_n, pl)
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr))).transpose(1, 0, 2, 3)
    view = cols.reshape(c_n, kh, kw, n_n, oh_n, ow_n)
    rows = _window_slices(kh, dh, sh, oh_n)
    columns = _window_slices(kw, dw, sw, ow_n)
    for i in range(kh):
        for j in range(kw):
            view[:, i, j] = xp[:, :, rows[i], columns[j]]
    return cols


def _col2im(cols, shape, kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n):
    """The adjoint of ``_im2col``: sum columns back into an (N, C, H, W) array."""
    n_n, c_n, h_n, w_n = shape
    if cython.compiled:
        if cols.size == 0:
            return np.zeros(shape, dtype=cols.dtype)
        # the kernel writes every element, 0 where no tap reads
        out = np.empty(shape, dtype=cols.dtype)
        if out.size != 0:
            _run_im2col_kernel(out, cols, True, kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n)
        return out
    pb = _padded_extent(h_n, kh, dh, sh, oh_n, pt)
    pr = _padded_extent(w_n, kw, dw, sw, ow_n, pl)
    xp = np.zeros((c_n, n_n, h_n + pt + pb, w_n + pl + pr), dtype=cols.dtype)
    view = cols.reshape(c_n, kh, kw, n_n, oh_n, ow_n)
    rows = _window_slices(kh, dh, sh, oh_n)
    columns = _window_slices(kw, dw, sw, ow_n)
    for i in range(kh):
        for j in range(kw):
            xp[:, :, rows[i], columns[j]] += view[:, i, j]
    return np.ascontiguousarray(xp[:, :, pt:pt + h_n, pl:pl + w_n].transpose(1, 0, 2, 3))


# ======================================================================
# conv2d
# ======================================================================

def _conv_geometry(x, w, stride, padding, dilation, groups):
    """Check a conv2d call on a 4-D input; return
    ``(sh, sw, pt, pb, pl, pr, dh, dw, groups)`` (padding per side)."""
    sh, sw = _int_pair("conv2d", "stride", stride,
                       "a single integer value or a list of 2 values")
    dh, dw = _int_pair("conv2d", "dilation", dilation,
                       "a single integer value or a list of 2 values")
    if not _is_int(groups):
        raise TypeError(f"conv2d(): argument 'groups' must be int, not {type(groups).__name__}")
    groups = int(groups)
    if sh <= 0 or sw <= 0:
        raise RuntimeError("conv2d: non-positive stride is not supported")
    if dh <= 0 or dw <= 0:
        raise RuntimeError("conv2d: non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("conv2d: non-positive groups is not supported")
    if w.ndim != 4:
        raise RuntimeError(
            f"conv2d: Expected 4-dimensional weight for 4-dimensional input "
            f"{format_shape(x.shape)}, but got {w.ndim}-dimensional weight of size "
            f"{format_shape(w.shape)} instead"
        )
    o_n, cg, kh, kw = w.shape
    if o_n == 0 or o_n % groups != 0:
        what = "at least 1" if o_n == 0 else f"divisible by {groups}"
        raise RuntimeError(
            f"conv2d: Given groups={groups}, expected weight to be {what} at dimension 0, "
            f"but got weight of size {format_shape(w.shape)} instead"
        )
    if x.shape[1] != cg * groups:
        raise RuntimeError(
            f"conv2d: Given groups={groups}, weight of size {format_shape(w.shape)}, expected "
            f"input{format_shape(x.shape)} to have {cg * groups} channels, but got "
            f"{x.shape[1]} channels instead"
        )
    if isinstance(padding, str):
        if padding == "valid":
            pt = pb = pl = pr = 0
        elif padding == "same":
            if sh != 1 or sw != 1:
                raise RuntimeError(
                    "conv2d: padding='same' is not supported for strided convolutions")
            # an odd total goes one more to the bottom/right, as in PyTorch
            th = dh * (kh - 1)
            tw = dw * (kw - 1)
            pt, pl = th // 2, tw // 2
            pb, pr = th - pt, tw - pl
        else:
            raise RuntimeError(f"conv2d: Invalid padding string: '{padding}'")
    else:
        ph, pw = _int_pair("conv2d", "padding", padding,
                           "a single integer value, a list of 2 values, 'valid' or 'same'")
        if ph < 0 or pw < 0:
            raise RuntimeError("conv2d: negative padding is not supported")
        pt = pb = ph
        pl = pr = pw
    hp = x.shape[2] + pt + pb
    wp = x.shape[3] + pl + pr
    keh = dh * (kh - 1) + 1
    kew = dw * (kw - 1) + 1
    if hp < keh or wp < kew:
        raise RuntimeError(
            f"conv2d: Calculated padded input size per channel: ({hp} x {wp}). Kernel size: "
            f"({keh} x {kew}). Kernel size can't be greater than actual input size "
            f"(input {format_shape(x.shape)}, weight {format_shape(w.shape)})"
        )
    return (sh, sw, pt, pb, pl, pr, dh, dw, groups)


def _out_hw(in_shape, w_shape, geom):
    sh, sw, pt, pb, pl, pr, dh, dw, groups = geom
    oh_n = (in_shape[2] + pt + pb - dh * (w_shape[2] - 1) - 1) // sh + 1
    ow_n = (in_shape[3] + pl + pr - dw * (w_shape[3] - 1) - 1) // sw + 1
    return oh_n, ow_n


def _is_pointwise(w_shape, geom):
    """A 1x1 kernel with unit stride and no padding: the input is its own columns."""
    return (w_shape[2] == 1 and w_shape[3] == 1 and geom[0] == 1 and geom[1] == 1
            and geom[2] == 0 and geom[3] == 0 and geom[4] == 0 and geom[5] == 0)


def _columns(x, w_shape, geom):
    """The (C*kh*kw, N*OH*OW) columns of input array ``x``."""
    n_n, c_n, h_n, w_n = x.shape
    if _is_pointwise(w_shape, geom):
        # the input is its own columns, once the images sit side by side
        return _batch_last(x.reshape(n_n, c_n, h_n * w_n))
    sh, sw, pt, pb, pl, pr, dh, dw, groups = geom
    oh_n, ow_n = _out_hw(x.shape, w_shape, geom)
    return _im2col(np.ascontiguousarray(x), w_shape[2], w_shape[3], sh, sw, pt, pl, dh, dw,
                   oh_n, ow_n)


def _batch_last(a):
    """(N, R, L) -> C-contiguous (R, N*L): a copy unless N is 1."""
    n_n, r_n, l_n = a.shape
    return np.ascontiguousarray(a.transpose(1, 0, 2)).reshape(r_n, n_n * l_n)


def _batch_first(a, n_n, l_n):
    """(R, N*L) -> C-contiguous (N, R, L): the inverse of ``_batch_last``."""
    return np.ascontiguousarray(a.reshape(a.shape[0], n_n, l_n).transpose(1, 0, 2))


def _grouped(a, groups):
    """An (R, M) matrix as (groups, R/groups, M), or as is for one group."""
    return a if groups == 1 else a.reshape(groups, a.shape[0] // groups, a.shape[1])


def _ungrouped(a):
    return a if a.ndim == 2 else a.reshape(a.shape[0] * a.shape[1], a.shape[2])


def _transposed(a):
    """Swap the last two axes (a view: BLAS reads it as a transposed operand)."""
    return a.T if a.ndim == 2 else a.transpose(0, 2, 1)


def _product(a, b):
    """``a @ b`` per group: for one group by the engine's matrix_product,
    which sends ResNet-18's conv products at batch 16 to sgemm.h (0.7-0.9x
    OpenBLAS's time on most of its layers), batched over groups by np.matmul."""
    return matrix_product(a, b) if a.ndim == 2 else np.matmul(a, b)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of an NCHW batch with a filter bank.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W), float32 or float64.
        weight: (O, C/groups, kh, kw), same dtype.
        bias: optional (O,).
        stride, dilation: an int or a pair.
        padding: an int, a pair, "valid" (none) or "same" (output size equals
            input size; stride must be 1).
        groups: input and output channels split into this many independent
            convolutions.

    Example:
        >>> x, w = autograd.ones(1, 3, 5, 5), autograd.ones(4, 3, 3, 3)
        >>> conv2d(x, w, padding=1).shape
        (1, 4, 5, 5)
    """
    x = _tensor_data("conv2d", input, "input", 1)
    w = _tensor_data("conv2d", weight, "weight", 2)
    if x.ndim != 3 and x.ndim != 4:
        raise RuntimeError(
            f"conv2d: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got "
            f"input of size: {format_shape(x.shape)}"
        )
    _check_float("conv2d", x)
    if w.dtype != x.dtype:
        raise RuntimeError(
            f"conv2d: expected scalar type {_torch_name(x.dtype)} but found "
            f"{_torch_name(w.dtype)} (input {x.dtype}, weight {w.dtype})"
        )
    if bias is not None:
        b = _tensor_data("conv2d", bias, "bias", 3)
        if b.dtype != x.dtype:
            raise RuntimeError(
                f"conv2d: Input type ({_torch_name(x.dtype).lower()}) and bias type "
                f"({_torch_name(b.dtype).lower()}) should be the same"
            )
    if x.ndim == 3:
        geom = _conv_geometry(x.reshape((1,) + x.shape), w, stride, padding, dilation, groups)
        _check_bias(w, bias)
        return squeeze(_conv2d(unsqueeze(input, 0), weight, bias, geom), 0)
    geom = _conv_geometry(x, w, stride, padding, dilation, groups)
    _check_bias(w, bias)
    return _conv2d(input, weight, bias, geom)


def _check_bias(w, bias):
    if bias is None:
        return
    b = (cython.cast(TensorBase, bias))._data
    if b.ndim != 1 or b.shape[0] != w.shape[0]:
        raise RuntimeError(
            f"conv2d: Given weight of size {format_shape(w.shape)}, expected bias to be "
            f"1-dimensional with {w.shape[0]} elements, but got bias of size "
            f"{format_shape(b.shape)} instead"
        )


def _conv2d(input, weight, bias, geom):
    """conv2d on checked 4-D operands, padding given per side."""
    x = (cython.cast(TensorBase, input))._data
    w = (cython.cast(TensorBase, weight))._data
    groups = geom[8]
    n_n = x.shape[0]
    o_n = w.shape[0]
    oh_n, ow_n = _out_hw(x.shape, w.shape, geom)
    cols = _columns(x, w.shape, geom)
    wm = np.ascontiguousarray(w).reshape(o_n, -1)
    # one product over the whole batch: (O, C*kh*kw) @ (C*kh*kw, N*OH*OW)
    y = _ungrouped(_product(_grouped(wm, groups), _grouped(cols, groups)))
    del cols
    y = _batch_first(y, n_n, oh_n * ow_n).reshape(n_n, o_n, oh_n, ow_n)
    if bias is not None:
        y += (cython.cast(TensorBase, bias))._data.reshape(1, o_n, 1, 1)
    out = make(y)
    record(out, "ConvolutionBackward0", _conv2d_backward, (input, weight, bias),
           (input, weight), False, geom)
    return out


def _conv2d_backward(ctx, grad):
    x, w = ctx.saved
    geom = ctx.attrs
    needs = ctx.needs_input_grad
    gx = gw = gb = None
    # both products read the gradient as (O, N*OH*OW) rows: transpose it once
    rows = _grad_rows(grad, w._data.dtype) if needs[0] or needs[1] else None
    # The first layer's images need no gradient: needs[0] skips the
    # transposed convolution entirely.
    if needs[0]:
        gx = _conv2d_input_grad(grad, w, x._data.shape, geom, rows)
    if needs[1]:
        gw = _conv2d_weight_grad(x, grad, w._data.shape, geom, rows)
    if needs[2]:
        gb = reduce_sum(grad, (0, 2, 3))
    return (gx, gw, gb)


def _grad_array(grad, dtype):
    g = (cython.cast(TensorBase, grad))._data
    if g.dtype != dtype:
        g = g.astype(dtype)
    return np.ascontiguousarray(g)


def _grad_rows(grad, dtype):
    """conv2d's output gradient as an (O, N*OH*OW) matrix in ``dtype``."""
    g = (cython.cast(TensorBase, grad))._data
    if g.dtype != dtype:
        g = g.astype(dtype)
    return _batch_last(g.reshape(g.shape[0], g.shape[1], g.shape[2] * g.shape[3]))


# Up to this many columns on the right (N*OH*OW: batch 1 on a 2x2 map) the
# input gradient's product is made as (rows^T @ W)^T.  For W^T @ rows
# OpenBLAS copies all of W into its packed layout, which then costs more
# than the arithmetic: 2.05 -> 1.32 ms at two threads for ResNet-18's
# 512x4608 weights at batch 1 (but slower from 16 columns on).
_FEW_COLUMNS = 4


def _weights_t_times(wm, rows):
    """``W^T @ rows`` (per group), C-contiguous."""
    if rows.shape[rows.ndim - 1] <= _FEW_COLUMNS:
        return np.ascontiguousarray(_transposed(np.matmul(_transposed(rows), wm)))
    return _product(_transposed(wm), rows)


def _conv2d_input_grad(grad, weight, input_shape, geom, rows=None):
    """The gradient of conv2d's input: the transposed convolution of ``grad``
    (``rows``: ``_grad_rows(grad)``, when already made)."""
    w = (cython.cast(TensorBase, weight))._data
    groups = geom[8]
    o_n, cg, kh, kw = w.shape
    g_data = (cython.cast(TensorBase, grad))._data
    oh_n = g_data.shape[2]
    ow_n = g_data.shape[3]
    wm = np.ascontiguousarray(w).reshape(o_n, cg * kh * kw)
    if rows is None:
        rows = _grad_rows(grad, w.dtype)
    # (C*kh*kw, O) @ (O, N*OH*OW), the weights read transposed in place
    cols = _ungrouped(_weights_t_times(_grouped(wm, groups), _grouped(rows, groups)))
    if _is_pointwise(w.shape, geom):
        gx = _batch_first(cols, input_shape[0], oh_n * ow_n).reshape(input_shape)
    else:
        sh, sw, pt, pb, pl, pr, dh, dw, _g = geom
        gx = _col2im(cols, input_shape, kh, kw, sh, sw, pt, pl, dh, dw, oh_n, ow_n)
    del cols
    out = make(gx)
    record(out, "ConvolutionBackwardBackward0", _conv2d_input_grad_backward,
           (grad, weight), (grad, weight), False, (input_shape, geom))
    return out


def _conv2d_input_grad_backward(ctx, grad):
    g, w = ctx.saved
    input_shape, geom = ctx.attrs
    needs = ctx.needs_input_grad
    dg = _conv2d(grad, w, None, geom) if needs[0] else None
    dw = _conv2d_weight_grad(grad, g, w._data.shape, geom) if needs[1] else None
    return (dg, dw)


def _conv2d_weight_grad(input, grad, weight_shape, geom, rows=None):
    """The gradient of conv2d's weight: ``grad`` times the input columns
    (``rows``: ``_grad_rows(grad)``, when already made)."""
    x = (cython.cast(TensorBase, input))._data
    groups = geom[8]
    g = _grad_rows(grad, x.dtype) if rows is None else rows
    cols = _columns(x, weight_shape, geom)
    # (O, N*OH*OW) @ (N*OH*OW, C*kh*kw): the batch sum happens inside the GEMM
    gw = _product(_grouped(g, groups), _transposed(_grouped(cols, groups)))
    del cols
    out = make(gw.reshape(weight_shape))
    record(out, "ConvolutionBackwardBackward0", _conv2d_weight_grad_backward,
           (input, grad), (input, grad), False, (weight_shape, geom))
    return out


def _conv2d_weight_grad_backward(ctx, grad):
    x, g = ctx.saved
    weight_shape, geom = ctx.attrs
    needs = ctx.needs_input_grad
    dx = _conv2d_input_grad(g, grad, x._data.shape, geom) if needs[0] else None
    dg = _conv2d(x, grad, None, geom) if needs[1] else None
    return (dx, dg)


# ======================================================================
# Pooling geometry
# ======================================================================

def _pool_args(name, kernel_size, stride, padding, dilation):
    kh, kw = _int_pair(name, "kernel_size", kernel_size, "a single int, or a tuple of two ints")
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        sh, sw = kh, kw
    else:
        sh, sw = _int_pair(name, "stride", stride,
                           "omitted, a single int, or a tuple of two ints")
    ph, pw = _int_pair(name, "padding", padding, "a single int, or a tuple of two ints")
    dh, dw = _int_pair(name, "dilation", dilation, "a single int, or a tuple of two ints")
    if kh <= 0 or kw <= 0:
        raise RuntimeError(
            f"{name}: kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if sh <= 0 or sw <= 0:
        raise RuntimeError(
            f"{name}: stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(
            f"{name}: dilation should be greater than zero, but got dilationH: {dh} "
            f"dilationW: {dw}")
    if ph < 0 or pw < 0:
        raise RuntimeError(f"{name}: pad must be non-negative, but got padH: {ph} padW: {pw}")
    for p, k, d in ((ph, kh, dh), (pw, kw, dw)):
        if 2 * p > (k - 1) * d + 1:
            raise RuntimeError(
                f"{name}: pad should be at most half of effective kernel size, but got "
                f"pad={p}, kernel_size={k} and dilation={d}")
    if 2 * ph > kh or 2 * pw > kw:
        raise RuntimeError(
            f"{name}: pad should be smaller than or equal to half of kernel size, but got "
            f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")
    return kh, kw, sh, sw, ph, pw, dh, dw


def _pool_out(size, k, pad, stride, dil, ceil_mode):
    """PyTorch's pooling output size (floor, or ceil with the last window
    starting inside the input or its left padding)."""
    num = size + 2 * pad - dil * (k - 1) - 1
    if ceil_mode:
        num += stride - 1
    if num < 0:
        return 0
    out = num // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _check_out(name, x, oh_n, ow_n):
    if oh_n < 1 or ow_n < 1:
        d = x.ndim
        c, h, w = x.shape[d - 3], x.shape[d - 2], x.shape[d - 1]
        raise RuntimeError(
            f"{name}: Given input size: ({c}x{h}x{w}). Calculated output size: "
            f"({c}x{oh_n}x{ow_n}). Output size is too small")


# ======================================================================
# max_pool2d
# ======================================================================

@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
def _max_pool_plane(x: cython.pointer(cython.floating), out: cython.pointer(cython.floating),
                    idx: cython.pointer(cython.longlong), h_n: cython.Py_ssize_t,
                    w_n: cython.Py_ssize_t, oh_n: cython.Py_ssize_t, ow_n: cython.Py_ssize_t,
                    g: cython.pointer(cython.Py_ssize_t), spans: cython.pointer(cython.Py_ssize_t),
                    neg_inf: cython.floating) -> cython.void:
    # g: kh, kw, sh, sw, ph, pw, dh, dw; spans: _column_spans'.  Read into
    # locals once: the stores through out and idx could alias them for all
    # the compiler knows.
    kh: cython.Py_ssize_t = g[0]
    kw: cython.Py_ssize_t = g[1]
    sh: cython.Py_ssize_t = g[2]
    ph: cython.Py_ssize_t = g[4]
    dh: cython.Py_ssize_t = g[6]
    sw: cython.Py_ssize_t = g[3]
    oh: cython.Py_ssize_t
    ow: cython.Py_ssize_t
    i: cython.Py_ssize_t
    j: cython.Py_ssize_t
    ih: cython.Py_ssize_t
    off: cython.Py_ssize_t
    lo: cython.Py_ssize_t
    hi: cython.Py_ssize_t
    at: cython.Py_ssize_t
    v: cython.floating
    best: cython.pointer(cython.floating)
    best_i: cython.pointer(cython.longlong)
    row: cython.pointer(cython.floating)
    # One output row at a time, tap after tap in (i, j) order, each tap
    # updating the whole row's running maxima: the outputs of a row do not
    # wait on each other, where one window's taps would form a chain of
    # dependent compares.
    for oh in range(oh_n):
        best = out + oh * ow_n
        best_i = idx + oh * ow_n
        for ow in range(ow_n):
            best[ow] = neg_inf
            best_i[ow] = -1
        for i in range(kh):
            ih = oh * sh - ph + i * dh
            if ih < 0 or ih >= h_n:
                continue
            row = x + ih * w_n
            for j in range(kw):
                off = spans[3 * j]
                lo = spans[3 * j + 1]
                hi = spans[3 * j + 2]
                for ow in range(lo, hi):
                    at = ow * sw + off
                    v = row[at]
                    # the first position wins ties; nan propagates
                    if best_i[ow] < 0 or v > best[ow] or v != v:
                        best[ow] = v
                        best_i[ow] = ih * w_n + at


@cython.cfunc
@cython.boundscheck(False)
@cython.wraparound(False)
def _max_pool_kernel(x: cython.floating[:, :, ::1], out: cython.floating[:, :, ::1],
                     idx: cython.longlong[:, :, ::1], geom: cython.Py_ssize_t[::1],
                     spans: cython.Py_ssize_t[::1], neg_inf: cython.floating,
                     threads: cython.int) -> cython.void:
    p: cython.Py_ssize_t
    g: cython.pointer(cython.Py_ssize_t) = cython.address(geom[0])
    sp: cython.pointer(cython.Py_ssize_t) = cython.address(spans[0])
    with cython.nogil:
        # planes are independent: any thread split gives the same values
        for p in prange(x.shape[0], schedule="static", num_threads=threads):
            _max_pool_plane(cython.address(x[p, 0, 0]), cython.address(out[p, 0, 0]),
                            cython.address(idx[p, 0, 0]), x.shape[1], x.shape[2],
                            out.shape[1], out.shape[2], g, sp, neg_inf)


def _max_pool2d_forward(x, kh, kw, sh, sw, ph, pw, dh, dw, oh_n, ow_n):
    """Maxima and their flat (h*W + w) indices for a (P, H, W) array."""
    p_n, h_n, w_n = x.shape
    out = np.empty((p_n, oh_n, ow_n), dtype=x.dtype)
    idx = np.empty((p_n, oh_n, ow_n), dtype=np.int64)
    if cython.compiled:
        x32: cython.float[:, :, ::1]
        o32: cython.float[:, :, ::1]
        x64: cython.double[:, :, ::1]
        o64: cython.double[:, :, ::1]
        iv: cython.longlong[:, :, ::1]
        if out.size == 0:
            return out, idx
        iv = idx
        geom = np.array([kh, kw, sh, sw, ph, pw, dh, dw], dtype=np.intp)
        spans = _column_spans(w_n, kw, sw, pw, dw, ow_n)
        threads = _threads_for(x.size)
        if x.dtype == np.float32:
            x32 = x
            o32 = out
            _max_pool_kernel[cython.float](x32, o32, iv, geom, spans, -np.inf, threads)
        else:
            x64 = x
            o64 = out
            _max_pool_kernel[cython.double](x64, o64, iv, geom, spans, -np.inf, threads)
        return out, idx
    pb = _padded_extent(h_n, kh, dh, sh, oh_n, ph)
    pr = _padded_extent(w_n, kw, dw, sw, ow_n, pw)
    xp = np.pad(x, ((0, 0), (ph, pb), (pw, pr)), constant_values=-np.inf)
    out[...] = -np.inf
    idx[...] = -1
    rows = _window_slices(kh, dh, sh, oh_n)
    columns = _window_slices(kw, dw, sw, ow_n)
    for i in range(kh):
        ih = np.arange(oh_n) * sh - ph + i * dh
        for j in range(kw):
            iw = np.arange(ow_n) * sw - pw + j * dw
            valid = (((ih >= 0) & (ih < h_n))[:, None] & ((iw >= 0) & (iw < w_n))[None, :])
            flat = ih[:, None] * w_n + iw[None, :]
            v = xp[:, rows[i], columns[j]]
            take = valid & ((idx < 0) | (v > out) | np.isnan(v))
            np.copyto(out, v, where=take)
            np.copyto(idx, np.broadcast_to(flat, idx.shape), where=take)
    return out, idx


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over an NCHW (or CHW) tensor.

    Padding counts as -inf; with ``return_indices`` also returns int64 flat
    indices (h * W + w) of each maximum within its input plane.

    Example:
        >>> max_pool2d(autograd.arange(16.).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    x = _tensor_data("max_pool2d", input, "input", 1)
    _check_nchw("max_pool2d", x)
    kh, kw, sh, sw, ph, pw, dh, dw = _pool_args("max_pool2d", kernel_size, stride, padding,
                                                 dilation)
    h_n = x.shape[x.ndim - 2]
    w_n = x.shape[x.ndim - 1]
    oh_n = _pool_out(h_n, kh, ph, sh, dh, ceil_mode)
    ow_n = _pool_out(w_n, kw, pw, sw, dw, ceil_mode)
    _check_out("max_pool2d", x, oh_n, ow_n)
    values, idx = _max_pool2d_forward(_planes(x), kh, kw, sh, sw, ph, pw, dh, dw, oh_n, ow_n)
    shape = x.shape[:x.ndim - 2] + (oh_n, ow_n)
    out = make(values.reshape(shape))
    idx = idx.reshape(shape)
    record(out, "MaxPool2DWithIndicesBackward0", _max_pool2d_backward, (input,), (idx,),
           False, x.shape)
    if return_indices:
        return out, make(idx)
    return out


def _max_pool2d_backward(ctx, grad):
    (idx,) = ctx.saved
    return (_max_pool2d_scatter(grad, idx, ctx.attrs),)


@cython.cfunc
@cython.boundscheck(False)
@cython.wraparound(False)
def _scatter_kernel(g: cython.floating[:, ::1], idx: cython.longlong[:, ::1],
                    out: cython.floating[:, ::1]) -> cython.void:
    p_n: cython.Py_ssize_t = g.shape[0]
    l_n: cython.Py_ssize_t = g.shape[1]
    hw: cython.Py_ssize_t = out.shape[1]
    p: cython.Py_ssize_t
    q: cython.Py_ssize_t
    k: cython.longlong
    with cython.nogil:
        for p in range(p_n):
            for q in range(l_n):
                k = idx[p, q]
                if k >= 0 and k < hw:
                    out[p, k] += g[p, q]


def _max_pool2d_scatter(grad, idx, input_shape):
    """Add each output gradient into the input position its maximum came from."""
    g = _grad_array(grad, (cython.cast(TensorBase, grad))._data.dtype)
    h_n = input_shape[len(input_shape) - 2]
    w_n = input_shape[len(input_shape) - 1]
    g2 = g.reshape(-1, g.shape[g.ndim - 2] * g.shape[g.ndim - 1])
    i2 = idx.reshape(g2.shape)
    p_n = g2.shape[0]
    if cython.compiled:
        res = np.zeros((p_n, h_n * w_n), dtype=g.dtype)
        g32: cython.float[:, ::1]
        r32: cython.float[:, ::1]
        g64: cython.double[:, ::1]
        r64: cython.double[:, ::1]
        iv: cython.longlong[:, ::1]
        if g2.size != 0:
            iv = i2
            if g.dtype == np.float32:
                g32 = g2
                r32 = res
                _scatter_kernel[cython.float](g32, iv, r32)
            else:
                g64 = g2
                r64 = res
                _scatter_kernel[cython.double](g64, iv, r64)
    else:
        keep = i2 >= 0
        flat = (np.arange(p_n)[:, None] * (h_n * w_n) + i2)[keep]
        res = np.bincount(flat, weights=g2[keep], minlength=p_n * h_n * w_n)
        res = res.astype(g.dtype, copy=False)
    out = make(res.reshape(input_shape))
    record(out, "MaxPool2DWithIndicesBackwardBackward0", _max_pool2d_scatter_backward,
           (grad,), (idx,), False, input_shape)
    return out


def _max_pool2d_scatter_backward(ctx, grad):
    (idx,) = ctx.saved
    return (_max_pool2d_gather(grad, idx, ctx.attrs),)


def _max_pool2d_gather(grad, idx, input_shape):
    """The adjoint of ``_max_pool2d_scatter``: read each output's maximum position."""
    g = (cython.cast(TensorBase, grad))._data
    h_n = input_shape[len(input_shape) - 2]
    w_n = input_shape[len(input_shape) - 1]
    g2 = g.reshape(-1, h_n * w_n)
    i2 = idx.reshape(g2.shape[0], -1)
    res = np.take_along_axis(g2, np.maximum(i2, 0), axis=1)
    res[i2 < 0] = 0
    out = make(res.reshape(idx.shape))
    record(out, "MaxPool2DWithIndicesBackward0", _max_pool2d_gather_backward,
           (grad,), (idx,), False, input_shape)
    return out


def _max_pool2d_gather_backward(ctx, grad):
    (idx,) = ctx.saved
    return (_max_pool2d_scatter(grad, idx, ctx.attrs),)


# ======================================================================
# Box means: avg_pool2d and adaptive_avg_pool2d
# ======================================================================
# Both average each output over a rectangle of the input,
# rows [hs[oh], he[oh]) x columns [ws[ow], we[ow]), divided by div[oh, ow]
# (an empty rectangle gives 0).  The rectangles and divisors are computed
# once in Python; the kernels just sum.

@cython.cfunc
@cython.boundscheck(False)
@cython.wraparound(False)
def _box_mean_kernel(x: cython.floating[:, :, ::1], out: cython.floating[:, :, ::1],
                     hs: cython.longlong[::1], he: cython.longlong[::1],
                     ws: cython.longlong[::1], we: cython.longlong[::1],
                     div: cython.double[:, ::1]) -> cython.void:
    p_n: cython.Py_ssize_t = x.shape[0]
    oh_n: cython.Py_ssize_t = out.shape[1]
    ow_n: cython.Py_ssize_t = out.shape[2]
    p: cython.Py_ssize_t
    oh: cython.Py_ssize_t
    ow: cython.Py_ssize_t
    ih: cython.Py_ssize_t
    iw: cython.Py_ssize_t
    acc: cython.floating
    with cython.nogil:
        for p in range(p_n):
            for oh in range(oh_n):
                for ow in range(ow_n):
                    acc = 0
                    for ih in range(hs[oh], he[oh]):
                        for iw in range(ws[ow], we[ow]):
                            acc = acc + x[p, ih, iw]
                    if div[oh, ow] != 0:
                        out[p, oh, ow] = acc / div[oh, ow]
                    else:
                        out[p, oh, ow] = 0


@cython.cfunc
@cython.boundscheck(False)
@cython.wraparound(False)
def _box_mean_backward_kernel(g: cython.floating[:, :, ::1], out: cython.floating[:, :, ::1],
                              hs: cython.longlong[::1], he: cython.longlong[::1],
                              ws: cython.longlong[::1], we: cython.longlong[::1],
                              div: cython.double[:, ::1]) -> cython.void:
    p_n: cython.Py_ssize_t = g.shape[0]
    oh_n: cython.Py_ssize_t = g.shape[1]
    ow_n: cython.Py_ssize_t = g.shape[2]
    p: cython.Py_ssize_t
    oh: cython.Py_ssize_t
    ow: cython.Py_ssize_t
    ih: cython.Py_ssize_t
    iw: cython.Py_ssize_t
    v: cython.floating
    with cython.nogil:
        for p in range(p_n):
            for oh in range(oh_n):
                for ow in range(ow_n):
                    if div[oh, ow] == 0:
                        continue
                    v = g[p, oh, ow] / div[oh, ow]
                    for ih in range(hs[oh], he[oh]):
                        for iw in range(ws[ow], we[ow]):
                            out[p, ih, iw] += v


def _box_matrix(starts, ends, size):
    """(len(starts), size) 0/1 matrix selecting [start, end) in each row."""
    pos = np.arange(size)
    return ((pos[None, :] >= starts[:, None]) & (pos[None, :] < ends[:, None]))


def _box_mean(x, boxes):
    """Box means of a C-contiguous (P, H, W) array."""
    hs, he, ws, we, div = boxes
    p_n = x.shape[0]
    if cython.compiled:
        out = np.empty((p_n, len(hs), len(ws)), dtype=x.dtype)
        x32: cython.float[:, :, ::1]
        o32: cython.float[:, :, ::1]
        x64: cython.double[:, :, ::1]
        o64: cython.double[:, :, ::1]
        if out.size == 0:
            return out
        if x.dtype == np.float32:
            x32 = x
            o32 = out
            _box_mean_kernel[cython.float](x32, o32, hs, he, ws, we, div)
        else:
            x64 = x
            o64 = out
            _box_mean_kernel[cython.double](x64, o64, hs, he, ws, we, div)
        return out
    # sums as (rows selector) @ x @ (columns selector)^T
    a = _box_matrix(hs, he, x.shape[1]).astype(x.dtype)
    b = _box_matrix(ws, we, x.shape[2]).astype(x.dtype)
    sums = np.matmul(np.matmul(a, x), b.T)
    return _divide(sums, div)


def _divide(sums, div):
    safe = np.where(div == 0, 1.0, div).astype(sums.dtype)
    out = sums / safe
    if np.any(div == 0):
        out[..., div == 0] = 0
    return out


def _box_mean_grad(g, boxes, h_n, w_n):
    """The adjoint of ``_box_mean`` for a C-contiguous (P, OH, OW) array."""
    hs, he, ws, we, div = boxes
    p_n = g.shape[0]
    if cython.compiled:
        out = np.zeros((p_n, h_n, w_n), dtype=g.dtype)
        g32: cython.float[:, :, ::1]
        o32: cython.float[:, :, ::1]
        g64: cython.double[:, :, ::1]
        o64: cython.double[:, :, ::1]
        if g.size == 0:
            return out
        if g.dtype == np.float32:
            g32 = g
            o32 = out
            _box_mean_backward_kernel[cython.float](g32, o32, hs, he, ws, we, div)
        else:
            g64 = g
            o64 = out
            _box_mean_backward_kernel[cython.double](g64, o64, hs, he, ws, we, div)
        return out
    a = _box_matrix(hs, he, h_n).astype(g.dtype)
    b = _box_matrix(ws, we, w_n).astype(g.dtype)
    return np.matmul(np.matmul(a.T, _divide(g, div)), b)


def _box_op(input, boxes, name):
    x = (cython.cast(TensorBase, input))._data
    values = _box_mean(_planes(x), boxes)
    out = make(values.reshape(x.shape[:x.ndim - 2] + values.shape[1:]))
    record(out, name, _box_op_backward, (input,), (), False, (x.shape, boxes, name))
    return out


def _box_op_backward(ctx, grad):
    shape, boxes, name = ctx.attrs
    return (_box_op_grad(grad, shape, boxes, name),)


def _box_op_grad(grad, shape, boxes, name):
    g = _grad_array(grad, (cython.cast(TensorBase, grad))._data.dtype)
    h_n = shape[len(shape) - 2]
    w_n = shape[len(shape) - 1]
    values = _box_mean_grad(_planes(g), boxes, h_n, w_n)
    out = make(values.reshape(shape))
    record(out, name.replace("Backward0", "BackwardBackward0"), _box_op_grad_backward,
           (grad,), (), False, (boxes, name))
    return out


def _box_op_grad_backward(ctx, grad):
    boxes, name = ctx.attrs
    return (_box_op(grad, boxes, name),)


def _index_array(values):
    return np.ascontiguousarray(values, dtype=np.int64)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling over an NCHW (or CHW) tensor.

    Args:
        count_include_pad: count zero padding in the divisor (window parts
            past the padded input, from ``ceil_mode``, never count).
        divisor_override: divide every sum by this instead.

    Example:
        >>> avg_pool2d(autograd.arange(16.).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """
    x = _tensor_data("avg_pool2d", input, "input", 1)
    _check_nchw("avg_pool2d", x)
    kh, kw, sh, sw, ph, pw, dh, dw = _pool_args("avg_pool2d", kernel_size, stride, padding, 1)
    if divisor_override is not None:
        if not _is_int(divisor_override):
            raise TypeError(
                f"avg_pool2d(): argument 'divisor_override' must be int, not "
                f"{type(divisor_override).__name__}")
        if divisor_override == 0:
            raise RuntimeError("avg_pool2d: divisor must be not zero")
    h_n = x.shape[x.ndim - 2]
    w_n = x.shape[x.ndim - 1]
    oh_n = _pool_out(h_n, kh, ph, sh, 1, ceil_mode)
    ow_n = _pool_out(w_n, kw, pw, sw, 1, ceil_mode)
    _check_out("avg_pool2d", x, oh_n, ow_n)
    hs, he, hcount, hpad = _avg_bounds(h_n, kh, sh, ph, oh_n)
    ws, we, wcount, wpad = _avg_bounds(w_n, kw, sw, pw, ow_n)
    if divisor_override is not None:
        div = np.full((oh_n, ow_n), float(divisor_override))
    elif count_include_pad:
        div = np.outer(hpad, wpad).astype(np.float64)
    else:
        div = np.outer(hcount, wcount).astype(np.float64)
    # an empty window (all padding) averages to 0 whatever the divisor
    div[np.outer(hcount, wcount) == 0] = 0
    return _box_op(input, (hs, he, ws, we, div), "AvgPool2DBackward0")


def _avg_bounds(size, k, s, p, out_n):
    """Per output along one axis: the clipped window [start, end), its
    length, and its length counting padding (but not the ceil_mode overhang)."""
    start = np.arange(out_n, dtype=np.int64) * s - p
    end = np.minimum(start + k, size + p)
    padded = end - start
    start = np.maximum(start, 0)
    end = np.minimum(end, size)
    end = np.maximum(end, start)
    return _index_array(start), _index_array(end), end - start, padded


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a given output size: output (i, j) averages input
    rows floor(i*H/OH) .. ceil((i+1)*H/OH) and likewise for columns.

    Args:
        output_size: an int or a pair; a None entry keeps the input size.

    Example:
        >>> adaptive_avg_pool2d(autograd.ones(2, 3, 7, 5), 1).shape
        (2, 3, 1, 1)
    """
    x = _tensor_data("adaptive_avg_pool2d", input, "input", 1)
    if x.ndim not in (3, 4) or 0 in x.shape[x.ndim - 3:]:
        raise RuntimeError(
            f"adaptive_avg_pool2d(): Expected 3D or 4D tensor with non-zero size for "
            f"non-batch dimensions, but got input of size {format_shape(x.shape)}")
    _check_float("adaptive_avg_pool2d", x)
    h_n = x.shape[x.ndim - 2]
    w_n = x.shape[x.ndim - 1]
    if _is_int(output_size) or output_size is None:
        output_size = (output_size, output_size)
    if not isinstance(output_size, (tuple, list)) or len(output_size) != 2 or not all(
            [v is None or _is_int(v) for v in output_size]):
        raise RuntimeError(
            f"adaptive_avg_pool2d: output_size must be 2 ints (or None), but got "
            f"{output_size!r}")
    oh_n = h_n if output_size[0] is None else int(output_size[0])
    ow_n = w_n if output_size[1] is None else int(output_size[1])
    if oh_n < 0 or ow_n < 0:
        raise RuntimeError(
            f"adaptive_avg_pool2d: elements of output_size must be greater than or equal "
            f"to 0 but received {{{oh_n}, {ow_n}}}")
    hs, he = _adaptive_bounds(h_n, oh_n)
    ws, we = _adaptive_bounds(w_n, ow_n)
    div = np.outer(he - hs, we - ws).astype(np.float64)
    return _box_op(input, (hs, he, ws, we, div), "AdaptiveAvgPool2DBackward0")


def _adaptive_bounds(size, out_n):
    i = np.arange(out_n, dtype=np.int64)
    start = (i * size) // out_n if out_n > 0 else i
    end = ((i + 1) * size + out_n - 1) // out_n if out_n > 0 else i
    return _index_array(start), _index_array(end)


# PyTorch has conv2d and max_pool2d at top level; the rest live in nn.functional.
__all__ = ["conv2d", "max_pool2d"]
TENSOR_METHODS = {}
