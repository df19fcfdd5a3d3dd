"""The optimizers' fused updates: one compiled pass over each parameter.

Not ops: nothing here records a node.  ``autograd.optim.SGD`` calls
``sgd_update`` on its arrays and falls back to its numpy form, with the same
arithmetic, wherever the loop does not apply.  Large parameters are split
into chunks on the thread count, as pointwise_ops' loops are.
"""
import cython
from cython.parallel import prange

if cython.compiled:
    cnp.import_array()


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
def _sgd_loop(lo: cython.Py_ssize_t, hi: cython.Py_ssize_t, p: cython.pointer(cython.floating),
              grad: cython.pointer(cython.floating), buf: cython.pointer(cython.floating),
              neg_lr: cython.floating, momentum: cython.floating, damp: cython.floating,
              decay: cython.floating, flags: cython.int) -> cython.void:
    # The operations and their order are the numpy form's in autograd.optim.SGD,
    # each rounded to the parameter's dtype, so both give the same bits.
    i: cython.Py_ssize_t
    g: cython.floating
    b: cython.floating
    # The common settings get a loop of their own without per-element
    # branches, which the compiler vectorises: 2-2.3x faster on a 784x512
    # weight at two threads.
    if flags == 0:
        for i in range(lo, hi):
            p[i] = p[i] + grad[i] * neg_lr
        return
    if flags == _SGD_MOMENTUM | _SGD_FIRST:
        for i in range(lo, hi):
            b = grad[i]
            buf[i] = b
            p[i] = p[i] + b * neg_lr
        return
    if flags == _SGD_MOMENTUM:
        for i in range(lo, hi):
            b = buf[i] * momentum + grad[i]
            buf[i] = b
            p[i] = p[i] + b * neg_lr
        return
    for i in range(lo, hi):
        g = grad[i]
        if flags & _SGD_MAXIMIZE:
            g = -g
        if flags & _SGD_DECAY:
            g = g + p[i] * decay
        if flags & _SGD_MOMENTUM:
            if flags & _SGD_FIRST:
                b = g
            elif flags & _SGD_DAMPEN:
                b = buf[i] * momentum + g * damp
            else:
                b = buf[i] * momentum + g
            buf[i] = b
            if flags & _SGD_NESTEROV:
                g = g + b * momentum
            else:
                g = b
        p[i] = p[i] + g * neg_lr


def sgd_update(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize,
               first):
    """One SGD step on arrays in a single pass: ``param`` (and ``buf``, the
    momentum buffer, which ``first`` fills with the first step's gradient)
    updated in place, as ``torch.optim.SGD`` does.  Returns False, changing
    nothing, where the compiled loop does not apply (the pure-Python engine,
    other dtypes or layouts); the caller then takes its numpy form.

    Example:
        >>> p = np.ones(3, np.float32)
        >>> sgd_update(p, np.ones(3, np.float32), None, 0.5, 0, 0, 0, False, False, False)
        True
    """
    if not cython.compiled:
        return False
    kind: cython.int = _fast_kind(param)
    if kind == 0 or _fast_kind(grad) != kind or not same_shape(param, grad) \
            or not cnp.PyArray_ISWRITEABLE(cython.cast(cnp.ndarray, param)):
        return False
    flags: cython.int = 0
    if momentum != 0:
        flags |= _SGD_MOMENTUM
        if buf is None or _fast_kind(buf) != kind or not same_shape(param, buf):
            return False
        if first:
            flags |= _SGD_FIRST
        if dampening != 0:
            flags |= _SGD_DAMPEN
        if nesterov:
            flags |= _SGD_NESTEROV
    if maximize:
        flags |= _SGD_MAXIMIZE
    if weight_decay != 0:
        flags |= _SGD_DECAY
    n: cython.Py_ssize_t = cnp.PyArray_SIZE(cython.cast(cnp.ndarray, param))
    pp: cython.p_char = cython.cast(cython.p_char, cnp.PyArray_DATA(cython.cast(cnp.ndarray, param)))
    gp: cython.p_char = cython.cast(cython.p_char, cnp.PyArray_DATA(cython.cast(cnp.ndarray, grad)))
    bp: cython.p_char = cython.NULL
    if flags & _SGD_MOMENTUM:
        bp = cython.cast(cython.p_char, cnp.PyArray_DATA(cython.cast(cnp.ndarray, buf)))
    neg_lr: cython.double = -lr
    mom: cython.double = momentum
    damp: cython.double = 1.0 - dampening
    decay: cython.double = weight_decay
    chunks: cython.Py_ssize_t = 1
    threads: cython.int = _num_threads
    if n >= _PARALLEL_MIN and threads > 1:
        chunks = (n + _CHUNK - 1) // _CHUNK
    k: cython.Py_ssize_t
    lo: cython.Py_ssize_t
    hi: cython.Py_ssize_t
    with cython.nogil:
        if chunks == 1:
            _sgd_kind(kind, 0, n, pp, gp, bp, neg_lr, mom, damp, decay, flags)
        else:
            for k in prange(chunks, schedule="dynamic", num_threads=threads):
                lo = k * _CHUNK
                hi = lo + _CHUNK
                if hi > n:
                    hi = n
                _sgd_kind(kind, lo, hi, pp, gp, bp, neg_lr, mom, damp, decay, flags)
    return True


@cython.cfunc
@cython.nogil
@cython.exceptval(check=False)
def _sgd_kind(kind: cython.int, lo: cython.Py_ssize_t, hi: cython.Py_ssize_t, p: cython.p_char,
              g: cython.p_char, b: cython.p_char, neg_lr: cython.double, mom: cython.double,
              damp: cython.double, decay: cython.double, flags: cython.int) -> cython.void:
    # the hyperparameters rounded to the dtype first, as numpy's weak scalars are
    if kind == 1:
        _sgd_loop(lo, hi, cython.cast(cython.p_float, p), cython.cast(cython.p_float, g),
                  cython.cast(cython.p_float, b), cython.cast(cython.float, neg_lr),
                  cython.cast(cython.float, mom), cython.cast(cython.float, damp),
                  cython.cast(cython.float, decay), flags)
    else:
        _sgd_loop(lo, hi, cython.cast(cython.p_double, p), cython.cast(cython.p_double, g),
                  cython.cast(cython.p_double, b), neg_lr, mom, damp, decay, flags)
