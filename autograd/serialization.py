"""``save`` and ``load`` for tensors, state_dicts and optimizer states.

Files are PyTorch's zip checkpoints (the format ``torch.save`` has written
since 1.6), so ``torch.load(path, weights_only=True)`` reads what ``save``
writes and ``load`` reads what ``torch.save`` writes.  PyTorch is never
imported.  A checkpoint is a zip archive::

    <archive>/data.pkl       the object, pickled (protocol 2); each tensor is
                             torch._utils._rebuild_tensor_v2(storage, offset,
                             size, stride, requires_grad, hooks)
    <archive>/byteorder      "little" or "big"
    <archive>/data/<key>     the raw bytes of one storage
    <archive>/version        the archive format version

A storage appears in the pickle as the persistent id
``('storage', torch.<Type>Storage, key, location, numel)``.

Loading never runs code from the file: ``data.pkl`` is read by a small
interpreter of pickle opcodes (not by :mod:`pickle`) that builds plain data
only, and admits the handful of globals a weights file needs.
"""
import collections
import io
import os
import pickle
import pickletools
import struct
import sys
import zipfile

import numpy as np

from engine.tensor import TensorBase, make, make_leaf

__all__ = ["save", "load"]

# torch storage type name -> numpy dtype ("bfloat16" is converted on load).
_STORAGE_DTYPES = {
    "FloatStorage": np.dtype(np.float32),
    "DoubleStorage": np.dtype(np.float64),
    "HalfStorage": np.dtype(np.float16),
    "BFloat16Storage": "bfloat16",
    "ByteStorage": np.dtype(np.uint8),
    "CharStorage": np.dtype(np.int8),
    "ShortStorage": np.dtype(np.int16),
    "IntStorage": np.dtype(np.int32),
    "LongStorage": np.dtype(np.int64),
    "BoolStorage": np.dtype(np.bool_),
    "UntypedStorage": np.dtype(np.uint8),   # numel counts bytes
}
_UNSUPPORTED_STORAGES = (
    "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QUInt8Storage",
    "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage",
)
_STORAGE_NAMES = {np.dtype(dt).name: name for name, dt in _STORAGE_DTYPES.items()
                  if name not in ("BFloat16Storage", "UntypedStorage")}

_ARCHIVE_VERSION = b"3\n"
_ALIGNMENT = 64             # torch aligns storage records so they can be mmapped
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


# ======================================================================
# save
# ======================================================================

class SaveTypeError(TypeError, pickle.PicklingError):
    """An object ``save`` cannot write (a TypeError and a PicklingError)."""


def save(obj, f):
    """Write ``obj`` to ``f`` as a PyTorch zip checkpoint.

    ``obj`` may be a tensor, a Parameter, or dict / OrderedDict / list /
    tuple containers of those and of str, int, float, bool and None (numpy
    scalars are stored as Python numbers).  Tensors that are views of one
    numpy buffer are stored once, as views of one storage, as PyTorch does.

    Args:
        obj: what to save, e.g. ``model.state_dict()``.
        f: a path (str or os.PathLike) or a writable binary file object.

    Example:
        >>> autograd.save({"w": autograd.ones(2, 3)}, "ckpt.pt")
        >>> autograd.load("ckpt.pt")["w"].shape
        (2, 3)
    """
    writer = _PickleWriter()
    writer.dump(obj)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fp:
            _write_archive(fp, writer)
    elif hasattr(f, "write"):
        _write_archive(f, writer)
    else:
        raise TypeError(
            f"autograd.save: f must be a path or a writable binary file object, "
            f"got {type(f).__name__}"
        )


def _write_archive(fp, writer):
    prefix = "archive/"
    with zipfile.ZipFile(fp, "w", zipfile.ZIP_STORED) as zf:
        _write_record(zf, prefix + "data.pkl", writer.getvalue())
        _write_record(zf, prefix + ".format_version", b"1")
        _write_record(zf, prefix + ".storage_alignment", str(_ALIGNMENT).encode())
        _write_record(zf, prefix + "byteorder", b"little")
        for key, array in writer.storages:
            _write_record(zf, prefix + "data/" + key, array, align=True)
        _write_record(zf, prefix + "version", _ARCHIVE_VERSION)


def _write_record(zf, name, data, align=False):
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_STORED
    if isinstance(data, np.ndarray):
        # Little-endian, contiguous, written from the buffer without a copy.
        data = data.reshape(-1).view(np.uint8)
    info.file_size = len(data)
    if align:
        # Pad the local header's extra field so the bytes start on a 64-byte
        # boundary (torch's extra-field id "FB"); readers skip unknown ids.
        offset = getattr(zf, "start_dir", None)
        if offset is None:
            offset = zf.fp.tell()
        header = 30 + len(name.encode("utf-8")) + 4
        if info.file_size * 1.05 > zipfile.ZIP64_LIMIT:
            header += 20                     # zipfile adds a zip64 extra field
        pad = -(offset + header) % _ALIGNMENT
        info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    with zf.open(info, "w") as w:
        w.write(data.data if isinstance(data, np.ndarray) else data)


def _is_parameter(obj):
    nn = sys.modules.get("autograd.nn")
    parameter = getattr(nn, "Parameter", None)
    return parameter is not None and isinstance(obj, parameter)


class _PickleWriter:
    """Emits protocol-2 pickle opcodes for the objects ``save`` supports.

    The standard pickler can only name a global that it can import, and
    ``torch._utils._rebuild_tensor_v2`` must be named without importing
    torch, so the few opcodes needed are written here directly.
    """

    def __init__(self):
        self._out = io.BytesIO()
        self._memo = {}          # id(obj) -> memo index (objects written once)
        self._keep = []          # keeps memoized objects alive while writing
        self._active = set()     # ids of containers being written (recursion)
        self._roots = {}         # (id(root buffer), dtype) -> storage key
        self.storages = []       # (key, contiguous little-endian array)

    def getvalue(self):
        return self._out.getvalue()

    def dump(self, obj):
        self._out.write(b"\x80\x02")
        self._save(obj, "obj")
        self._out.write(b".")

    # -- memo -----------------------------------------------------------
    def _put(self, key, obj=None):
        index = len(self._memo)
        self._memo[key] = index
        if obj is not None:
            self._keep.append(obj)
        self._out.write(b"q" + bytes([index]) if index < 256
                        else b"r" + struct.pack("<I", index))

    def _get(self, key):
        index = self._memo.get(key)
        if index is None:
            return False
        self._out.write(b"h" + bytes([index]) if index < 256
                        else b"j" + struct.pack("<I", index))
        return True

    def _global(self, module, name):
        key = ("global", module, name)
        if not self._get(key):
            self._out.write(b"c" + f"{module}\n{name}\n".encode("ascii"))
            self._put(key)

    # -- objects --------------------------------------------------------
    def _save(self, obj, where):
        write = self._out.write
        t = type(obj)
        if obj is None:
            write(b"N")
        elif t is bool:
            write(b"\x88" if obj else b"\x89")
        elif t is int:
            self._int(obj)
        elif t is float:
            write(b"G" + struct.pack(">d", obj))
        elif t is str:
            data = obj.encode("utf-8", "surrogatepass")
            write(b"X" + struct.pack("<I", len(data)) + data)
        elif isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
            self._save(obj.item(), where)
        elif self._get(id(obj)):
            pass
        elif isinstance(obj, TensorBase):
            if _is_parameter(obj):
                self._global("torch._utils", "_rebuild_parameter")
                self._tensor(obj, False)
                write(b"\x88" if obj.requires_grad else b"\x89")
                self._empty_ordered_dict()
                write(b"\x87R")
            else:
                self._tensor(obj, obj.requires_grad)
            self._put(id(obj), obj)
        elif isinstance(obj, (list, tuple, dict)):
            self._container(obj, where)
        else:
            raise SaveTypeError(
                f"autograd.save cannot save an object of type "
                f"'{t.__module__}.{t.__qualname__}' (at {where}): only tensors, "
                "Parameters, dict, OrderedDict, list, tuple, str, int, float, bool "
                "and None can be saved"
            )

    def _container(self, obj, where):
        write = self._out.write
        if id(obj) in self._active:
            raise ValueError(f"autograd.save: {where} contains itself; cannot save a "
                             "recursive container")
        self._active.add(id(obj))
        if isinstance(obj, tuple):
            write(b"(")
            for i, item in enumerate(obj):
                self._save(item, f"{where}[{i}]")
            write(b"t")
        elif isinstance(obj, list):
            write(b"](")
            for i, item in enumerate(obj):
                self._save(item, f"{where}[{i}]")
            write(b"e")
        else:
            if isinstance(obj, collections.OrderedDict):
                self._empty_ordered_dict()
            else:
                write(b"}")
            write(b"(")
            for key, value in obj.items():
                self._save(key, f"the keys of {where}")
                self._save(value, f"{where}[{key!r}]")
            write(b"u")
        self._active.discard(id(obj))
        self._put(id(obj), obj)

    def _empty_ordered_dict(self):
        self._global("collections", "OrderedDict")
        self._out.write(b")R")

    def _int(self, v):
        write = self._out.write
        if 0 <= v < 256:
            write(b"K" + bytes([v]))
        elif 0 <= v < 65536:
            write(b"M" + struct.pack("<H", v))
        elif -2**31 <= v < 2**31:
            write(b"J" + struct.pack("<i", v))
        else:
            data = v.to_bytes(v.bit_length() // 8 + 1, "little", signed=True)
            if len(data) < 256:
                write(b"\x8a" + bytes([len(data)]) + data)
            else:
                write(b"\x8b" + struct.pack("<i", len(data)) + data)

    def _tensor(self, t, requires_grad):
        a = t._data
        key, numel, offset, strides = self._storage(a)
        write = self._out.write
        self._global("torch._utils", "_rebuild_tensor_v2")
        write(b"((")
        self._save("storage", "")
        self._global("torch", _STORAGE_NAMES[a.dtype.name])
        self._save(key, "")
        self._save("cpu", "")
        self._int(numel)
        write(b"tQ")
        self._int(offset)
        self._save(tuple(a.shape), "")
        self._save(strides, "")
        write(b"\x88" if requires_grad else b"\x89")
        self._empty_ordered_dict()
        write(b"tR")

    def _storage(self, a):
        """Storage key, numel, element offset and element strides for ``a``."""
        item = a.dtype.itemsize
        root = a
        while isinstance(root.base, np.ndarray):
            root = root.base
        if a.size > 0 and a.dtype.isnative and root.flags.c_contiguous \
                and root.nbytes % item == 0:
            start = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
            extent = sum((n - 1) * s for n, s in zip(a.shape, a.strides))
            if start >= 0 and start % item == 0 and all(
                    s >= 0 and s % item == 0 for s in a.strides) \
                    and start + extent + item <= root.nbytes:
                # A view of a larger buffer (a slice, a transpose, a parameter
                # viewed elsewhere): store the buffer once and this as a view.
                rkey = (id(root), a.dtype.str)
                key = self._roots.get(rkey)
                if key is None:
                    key = str(len(self.storages))
                    self._roots[rkey] = key
                    self._keep.append(root)
                    self.storages.append((key, root.reshape(-1).view(a.dtype)))
                strides = tuple(s // item for s in a.strides)
                return key, root.nbytes // item, start // item, strides
        # Anything else is copied into a storage of its own.
        data = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        key = str(len(self.storages))
        self.storages.append((key, data))
        return key, data.size, 0, _contiguous_strides(a.shape)


def _contiguous_strides(shape):
    strides = []
    step = 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


# ======================================================================
# load
# ======================================================================

def load(f, map_location=None, weights_only=True):
    """Read tensors and containers saved by ``save`` or ``torch.save``.

    Reads PyTorch zip checkpoints (``torch.save`` since 1.6, and ``save``),
    ``.npz`` archives of a state_dict (returned as an OrderedDict of name ->
    tensor) and ``.npy`` arrays (returned as a tensor).  Tensors that shared
    a storage in the file share one numpy buffer (views stay views).
    bfloat16 tensors are converted to float32, the nearest dtype this
    library has.  Nothing in the file is executed: only tensors, Parameters
    and plain containers (dict, OrderedDict, list, tuple, str, int, float,
    bool, None, bytes) are built, and any other global the pickle names is
    refused with ``pickle.UnpicklingError``.  The pre-1.6 torch format is
    refused (re-save such a file with a recent torch).

    Args:
        f: a path (str or os.PathLike) or a readable binary file object.
        map_location: None, "cpu", a cpu device string ("cpu:0") or a dict
            mapping saved locations to cpu.  Every tensor loads on cpu,
            including those saved from another device.
        weights_only: must be True (or None): this library never unpickles
            arbitrary objects.

    Example:
        >>> autograd.save({"w": autograd.ones(2)}, "ckpt.pt")
        >>> autograd.load("ckpt.pt", map_location="cpu")
        {'w': tensor([1., 1.])}
    """
    if weights_only is not None and weights_only is not True:
        raise ValueError(
            "autograd.load only supports weights_only=True: it never unpickles "
            "arbitrary objects, only tensors and plain containers"
        )
    _check_map_location(map_location)
    name = _describe(f)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fp:
            return _load_file(fp, name)
    if not hasattr(f, "read"):
        raise TypeError(
            f"autograd.load: f must be a path or a readable binary file object, "
            f"got {type(f).__name__}"
        )
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    return _load_file(f, name)


def _describe(f):
    if isinstance(f, (str, os.PathLike)):
        return repr(os.fspath(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else f"<{type(f).__name__}>"


def _is_cpu(device):
    if isinstance(device, str):
        return device == "cpu" or (device.startswith("cpu:") and device[4:].isdigit())
    return getattr(device, "type", None) == "cpu"       # a torch.device


def _check_map_location(map_location):
    if map_location is None or _is_cpu(map_location):
        return
    if isinstance(map_location, dict) and all(_is_cpu(v) for v in map_location.values()):
        return
    raise ValueError(
        f"autograd.load: map_location must be None, 'cpu' or a cpu device, got "
        f"{map_location!r}; this library runs on cpu only"
    )


def _load_file(fp, name):
    start = fp.tell()
    head = fp.read(8)
    fp.seek(start)
    if head.startswith(b"\x93NUMPY"):
        return _load_npy(fp, name)
    if not head.startswith(b"PK"):
        if head.startswith(b"\x80") or head[:1] in (b"(", b"c", b"}", b"]"):
            raise RuntimeError(_legacy_message(fp, name))
        raise RuntimeError(
            f"autograd.load: {name} is empty" if not head else
            f"autograd.load: {name} is not a checkpoint (not a zip archive, .npz or .npy)"
        )
    try:
        zf = zipfile.ZipFile(fp)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError, UnicodeDecodeError) as e:
        raise RuntimeError(
            f"autograd.load: {name} is a damaged or truncated zip archive ({e})"
        ) from None
    with zf:
        names = zf.namelist()
        pkl = [n for n in names if n.count("/") == 1 and n.endswith("/data.pkl")]
        if pkl:
            if len(pkl) > 1:
                raise RuntimeError(f"autograd.load: {name} holds several data.pkl records")
            return _TorchArchive(zf, pkl[0][:-len("data.pkl")], name).load()
        if names and all(n.endswith(".npy") for n in names):
            fp.seek(start)
            return _load_npz(fp, name)
        if any(n.endswith("/constants.pkl") for n in names):
            raise RuntimeError(
                f"autograd.load: {name} is a TorchScript archive (torch.jit.save), not "
                "a checkpoint; save its state_dict() with torch.save instead"
            )
        raise RuntimeError(
            f"autograd.load: {name} is a zip archive but not a checkpoint: it has no "
            "<archive>/data.pkl record (damaged or truncated file?)"
        )


def _legacy_message(fp, name):
    try:
        ops = pickletools.genops(fp)
        next(ops)
        op, arg, _ = next(ops)
        legacy = arg == _LEGACY_MAGIC
    except Exception:
        legacy = False
    if legacy:
        return (
            f"autograd.load: {name} uses torch's legacy (pre-1.6, non-zip) format, "
            "which is not supported; re-save it with a recent torch: "
            "torch.save(torch.load(path, weights_only=True), path)"
        )
    return (
        f"autograd.load: {name} is a plain pickle, not a checkpoint; this library "
        "never unpickles arbitrary files (save tensors with autograd.save or torch.save)"
    )


# ----------------------------------------------------------------------
# numpy archives
# ----------------------------------------------------------------------

def _array_to_tensor(a, what, name):
    if a.dtype.kind not in "biuf" or a.dtype.itemsize > 8 \
            or a.dtype.newbyteorder("=") not in _SUPPORTED_NUMPY:
        raise RuntimeError(
            f"autograd.load: {what} in {name} has dtype {a.dtype}, which has no "
            "tensor equivalent"
        )
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    return make(a)


_SUPPORTED_NUMPY = {np.dtype(t) for t in (
    np.float16, np.float32, np.float64, np.uint8, np.int8, np.int16, np.int32,
    np.int64, np.bool_)}


def _load_npy(fp, name):
    try:
        a = np.load(fp, allow_pickle=False)
    except Exception as e:
        raise RuntimeError(f"autograd.load: cannot read {name} as .npy ({e})") from None
    return _array_to_tensor(a, "the array", name)


def _load_npz(fp, name):
    out = collections.OrderedDict()
    try:
        with np.load(fp, allow_pickle=False) as archive:
            for key in archive.files:
                out[key] = archive[key]
    except Exception as e:
        raise RuntimeError(f"autograd.load: cannot read {name} as .npz ({e})") from None
    for key, a in out.items():
        out[key] = _array_to_tensor(a, f"array {key!r}", name)
    return out


# ----------------------------------------------------------------------
# torch zip archives
# ----------------------------------------------------------------------

class _StorageType:
    """What a ``torch.<Type>Storage`` global stands for: a dtype, nothing callable."""

    __slots__ = ("name", "dtype")

    def __init__(self, name, dtype):
        self.name = name
        self.dtype = dtype


class _Storage:
    """One storage from the archive: a flat numpy array of its dtype."""

    __slots__ = ("array", "key")

    def __init__(self, array, key):
        self.array = array
        self.key = key


# Callables a pickle may name; each builds plain data from checked arguments.
_REBUILD_TENSOR = "torch._utils._rebuild_tensor_v2"
_REBUILD_PARAMETER = "torch._utils._rebuild_parameter"
_REBUILD_PARAMETER_STATE = "torch._utils._rebuild_parameter_with_state"
_ORDERED_DICT = "collections.OrderedDict"
_SIZE = "torch.Size"


class _Callable:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


_ALLOWED_GLOBALS = {name: _Callable(name) for name in (
    _REBUILD_TENSOR, _REBUILD_PARAMETER, _REBUILD_PARAMETER_STATE, _ORDERED_DICT, _SIZE)}
for _name in list(_STORAGE_DTYPES) + list(_UNSUPPORTED_STORAGES):
    _ALLOWED_GLOBALS["torch." + _name] = _StorageType(_name, _STORAGE_DTYPES.get(_name))
_ALLOWED_GLOBALS["torch.storage.UntypedStorage"] = _ALLOWED_GLOBALS["torch.UntypedStorage"]
del _name

_CONSTANTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}


class _Refused(pickle.UnpicklingError):
    """A file refused for safety; its message is complete."""


class _LoadError(RuntimeError):
    """A damaged file; its message is complete and names the file."""


class _TorchArchive:
    """Reads one ``<prefix>data.pkl`` and the storages it refers to."""

    def __init__(self, zf, prefix, name):
        self.zf = zf
        self.prefix = prefix
        self.name = name
        self.storages = {}       # (key, storage type name) -> _Storage
        self.sizes = {}          # key -> bytes used

    def load(self):
        self.big_endian = self._byteorder()
        try:
            data = self.zf.read(self.prefix + "data.pkl")
        except Exception as e:
            raise _LoadError(
                f"autograd.load: cannot read data.pkl from {self.name} ({e}); the file "
                "is damaged or truncated"
            ) from None
        try:
            return self._unpickle(data)
        except (_Refused, _LoadError):
            raise
        except pickle.UnpicklingError as e:
            raise pickle.UnpicklingError(f"autograd.load: {self.name}: {e}") from None
        except (RuntimeError, ValueError, TypeError, KeyError, IndexError,
                OverflowError, MemoryError, EOFError, zipfile.BadZipFile) as e:
            raise pickle.UnpicklingError(
                f"autograd.load: {self.name} is damaged or not a valid checkpoint: "
                f"{type(e).__name__}: {e}"
            ) from None

    def _byteorder(self):
        try:
            order = self.zf.read(self.prefix + "byteorder").decode("ascii").strip()
        except KeyError:
            return False         # files from torch < 1.13 have none: little-endian
        except Exception as e:
            raise _LoadError(
                f"autograd.load: cannot read the byteorder record of {self.name} ({e})"
            ) from None
        if order not in ("little", "big"):
            raise _LoadError(
                f"autograd.load: {self.name} has an unknown byteorder record {order!r}"
            )
        return order == "big"

    # -- the pickle interpreter ------------------------------------------
    def _unpickle(self, data):
        # Every opcode that could import, call or set attributes on an
        # arbitrary object is absent here: a global must be on the allow-list
        # and REDUCE may only call the allow-listed builders.
        stack = []
        metastack = []
        memo = {}

        def pop_mark():
            nonlocal stack
            items = stack
            stack = metastack.pop()
            return items

        for op, arg, pos in pickletools.genops(data):
            code = op.name
            if code in ("PROTO", "FRAME"):
                continue
            if code == "STOP":
                if len(stack) != 1 or metastack:
                    raise pickle.UnpicklingError("data.pkl is malformed (unbalanced stack)")
                return stack[0]
            if code == "MARK":
                metastack.append(stack)
                stack = []
            elif code in ("NONE", "NEWTRUE", "NEWFALSE", "INT", "BININT", "BININT1",
                          "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
                          "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
                          "BINBYTES", "SHORT_BINBYTES", "BINBYTES8"):
                stack.append(_CONSTANTS[code] if code in _CONSTANTS else arg)
            elif code == "EMPTY_LIST":
                stack.append([])
            elif code == "EMPTY_DICT":
                stack.append({})
            elif code == "EMPTY_TUPLE":
                stack.append(())
            elif code in ("TUPLE1", "TUPLE2", "TUPLE3"):
                n = int(code[-1])
                if len(stack) < n:
                    raise pickle.UnpicklingError("data.pkl is malformed (stack underflow)")
                items = tuple(stack[-n:])
                del stack[-n:]
                stack.append(items)
            elif code == "TUPLE":
                items = pop_mark()       # rebinds ``stack``: pop before appending
                stack.append(tuple(items))
            elif code == "LIST":
                items = pop_mark()
                stack.append(items)
            elif code == "DICT":
                items = pop_mark()
                stack.append(dict(zip(items[::2], items[1::2])))
            elif code == "APPEND":
                value = stack.pop()
                self._expect(stack[-1], list, code).append(value)
            elif code == "APPENDS":
                items = pop_mark()
                self._expect(stack[-1], list, code).extend(items)
            elif code == "SETITEM":
                value = stack.pop()
                key = stack.pop()
                self._expect(stack[-1], dict, code)[key] = value
            elif code == "SETITEMS":
                items = pop_mark()
                target = self._expect(stack[-1], dict, code)
                for i in range(0, len(items) - 1, 2):
                    target[items[i]] = items[i + 1]
            elif code in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[arg] = stack[-1]
            elif code == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif code in ("GET", "BINGET", "LONG_BINGET"):
                if arg not in memo:
                    raise pickle.UnpicklingError(f"data.pkl is malformed (no memo entry {arg})")
                stack.append(memo[arg])
            elif code == "POP":
                if stack:
                    stack.pop()
                else:
                    pop_mark()
            elif code == "POP_MARK":
                pop_mark()
            elif code == "DUP":
                stack.append(stack[-1])
            elif code == "GLOBAL":
                module, _, qualname = arg.partition(" ")
                stack.append(self._find_global(module, qualname))
            elif code == "STACK_GLOBAL":
                qualname = stack.pop()
                module = stack.pop()
                if not (isinstance(module, str) and isinstance(qualname, str)):
                    raise pickle.UnpicklingError("data.pkl is malformed (STACK_GLOBAL)")
                stack.append(self._find_global(module, qualname))
            elif code == "REDUCE":
                args = stack.pop()
                func = stack.pop()
                stack.append(self._call(func, args))
            elif code == "BUILD":
                state = stack.pop()
                self._build(stack[-1], state)
            elif code in ("BINPERSID", "PERSID"):
                stack.append(self._persistent_load(stack.pop() if code == "BINPERSID" else arg))
            else:
                raise _Refused(
                    f"autograd.load refused {self.name}: its data.pkl uses the pickle "
                    f"opcode {code} (at byte {pos}), which a weights file never needs; "
                    "nothing from the file was executed"
                )
        raise pickle.UnpicklingError("data.pkl is truncated (no STOP opcode)")

    def _expect(self, obj, kind, code):
        if type(obj) is not kind and not (kind is dict and type(obj) is collections.OrderedDict):
            raise pickle.UnpicklingError(
                f"data.pkl is malformed ({code} on {type(obj).__name__})")
        return obj

    def _find_global(self, module, qualname):
        full = f"{module}.{qualname}"
        found = _ALLOWED_GLOBALS.get(full)
        if found is None:
            raise _Refused(
                f"autograd.load refused {self.name}: its data.pkl asks for the global "
                f"'{full}', which is not on the allow-list of tensor and container "
                "types (weights_only); nothing from the file was executed"
            )
        return found

    def _call(self, func, args):
        if not isinstance(func, _Callable) or type(args) is not tuple:
            raise _Refused(
                f"autograd.load refused {self.name}: its data.pkl calls "
                f"{getattr(func, 'name', type(func).__name__)}, which is not callable "
                "while loading weights; nothing from the file was executed"
            )
        name = func.name
        if name == _ORDERED_DICT:
            if len(args) > 1 or (args and not isinstance(args[0], (list, tuple, dict))):
                raise pickle.UnpicklingError("OrderedDict with unexpected arguments")
            return collections.OrderedDict(*args)
        if name == _SIZE:
            if len(args) != 1 or not all(type(n) is int for n in args[0]):
                raise pickle.UnpicklingError("torch.Size with unexpected arguments")
            return tuple(args[0])
        if name == _REBUILD_TENSOR:
            return self._rebuild_tensor(*args)
        return self._rebuild_parameter(name, *args)

    def _build(self, obj, state):
        # A torch state_dict is an OrderedDict carrying a ``_metadata``
        # attribute (module versions); that is the only state admitted.
        if type(obj) is not collections.OrderedDict or type(state) is not dict \
                or set(state) - {"_metadata"}:
            raise _Refused(
                f"autograd.load refused {self.name}: its data.pkl sets the state of a "
                f"{type(obj).__name__} object, which a weights file never needs; "
                "nothing from the file was executed"
            )
        if "_metadata" in state:
            obj._metadata = state["_metadata"]

    def _persistent_load(self, pid):
        if not (type(pid) is tuple and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r:.80}")
        _, stype, key, location, numel = pid
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"persistent id names no storage type ({pid!r:.80})")
        if not (isinstance(key, str) and isinstance(location, str)
                and type(numel) is int and numel >= 0):
            raise pickle.UnpicklingError(f"malformed storage id {pid!r:.80}")
        if stype.dtype is None:
            raise _LoadError(
                f"autograd.load: {self.name} holds a torch.{stype.name}, which this "
                "library does not support"
            )
        cached = self.storages.get((key, stype.name))
        if cached is not None:
            if cached.array.size != numel:
                raise pickle.UnpicklingError(
                    f"storage {key!r} is given {numel} and {cached.array.size} elements")
            return cached
        raw_dtype = np.dtype(np.uint16) if stype.dtype == "bfloat16" else stype.dtype
        nbytes = numel * raw_dtype.itemsize
        raw = self._read_storage(key, nbytes)
        array = raw.view(raw_dtype.newbyteorder(">" if self.big_endian else "<"))
        if not array.dtype.isnative:
            array = array.byteswap().view(raw_dtype)
        if stype.dtype == "bfloat16":
            # NOTE: bfloat16 is the top half of a float32, so this is exact.
            array = (array.astype(np.uint32) << 16).view(np.float32)
        elif raw_dtype.kind == "b":
            array = raw != 0           # any nonzero byte is True, as in torch
        storage = _Storage(array, key)
        self.storages[(key, stype.name)] = storage
        return storage

    def _read_storage(self, key, nbytes):
        record = f"{self.prefix}data/{key}"
        try:
            info = self.zf.getinfo(record)
        except KeyError:
            raise _LoadError(
                f"autograd.load: {self.name} has no record {record!r} for storage "
                f"{key!r} (damaged or truncated file)"
            ) from None
        if info.file_size < nbytes:
            raise _LoadError(
                f"autograd.load: storage {key!r} in {self.name} holds {info.file_size} "
                f"bytes but its tensors need {nbytes} (damaged or truncated file)"
            )
        buf = np.empty(nbytes, np.uint8)
        view = memoryview(buf)
        got = 0
        with self.zf.open(info) as r:
            while got < nbytes:
                n = r.readinto(view[got:])
                if not n:
                    break
                got += n
        if got != nbytes:
            raise _LoadError(
                f"autograd.load: storage {key!r} in {self.name} ends after {got} of "
                f"{nbytes} bytes (damaged or truncated file)"
            )
        return buf

    def _rebuild_tensor(self, storage, offset, size, stride, requires_grad,
                        backward_hooks=None, metadata=None):
        if not isinstance(storage, _Storage):
            raise pickle.UnpicklingError("tensor rebuilt from something that is not a storage")
        if not (type(offset) is int and _int_tuple(size) and _int_tuple(stride)
                and len(size) == len(stride) and type(requires_grad) is bool):
            raise pickle.UnpicklingError(
                f"malformed tensor record (offset={offset!r:.40}, size={size!r:.80}, "
                f"stride={stride!r:.80})")
        if offset < 0 or any(n < 0 for n in size) or any(s < 0 for s in stride):
            raise pickle.UnpicklingError(
                f"tensor with negative offset, size or stride (offset={offset}, "
                f"size={size}, stride={stride})")
        array = storage.array
        numel = 1
        for n in size:
            numel *= n
        if numel == 0:
            data = np.empty(size, array.dtype)
        else:
            last = offset + sum((n - 1) * s for n, s in zip(size, stride))
            if last >= array.size:
                raise _LoadError(
                    f"autograd.load: a tensor of size {list(size)} with stride "
                    f"{list(stride)} and offset {offset} reads element {last} of storage "
                    f"{storage.key!r} in {self.name}, which holds only {array.size} "
                    "elements (damaged or malicious file)"
                )
            item = array.dtype.itemsize
            data = np.ndarray(size, array.dtype, buffer=array, offset=offset * item,
                              strides=tuple(s * item for s in stride))
        return make_leaf(data, requires_grad)

    def _rebuild_parameter(self, name, data=None, requires_grad=None,
                           backward_hooks=None, state=None, *extra):
        if not isinstance(data, TensorBase) or type(requires_grad) is not bool or extra:
            raise pickle.UnpicklingError(f"malformed arguments to {name}")
        nn = sys.modules.get("autograd.nn")
        parameter = getattr(nn, "Parameter", None)
        if parameter is not None:
            p = parameter(data, requires_grad=requires_grad)
            if isinstance(p, TensorBase) and p._data is not data._data:
                p._data = data._data     # keep the view into the shared storage
            return p
        data.requires_grad_(requires_grad)
        return data


def _int_tuple(x):
    return type(x) is tuple and all(type(n) is int for n in x)
