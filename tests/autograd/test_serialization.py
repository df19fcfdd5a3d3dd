"""autograd/serialization.py: save/load in PyTorch's zip checkpoint format."""
import collections
import io
import os
import pathlib
import pickle
import re
import struct
import zipfile

import numpy as np
import pytest

import autograd

_DTYPES = [
    ("float16", np.float16), ("float32", np.float32), ("float64", np.float64),
    ("uint8", np.uint8), ("int8", np.int8), ("int16", np.int16), ("int32", np.int32),
    ("int64", np.int64), ("bool", np.bool_),
]
_LOAD_ERRORS = (RuntimeError, ValueError, pickle.UnpicklingError)


def _sample(np_dtype, shape=(3, 4)):
    a = np.arange(-5, -5 + int(np.prod(shape))).reshape(shape) * 1.5
    return a.astype(np_dtype)


def _roundtrip(obj, tmp_path):
    path = tmp_path / "ckpt.pt"
    autograd.save(obj, path)
    return autograd.load(path)


def _records(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write_zip(path, records):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in records.items():
            zf.writestr(name, data)


# ----------------------------------------------------------------------
# a tiny pickle writer for hand-made (and malformed) data.pkl records
# ----------------------------------------------------------------------

def _str(s):
    data = s.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def _int(v):
    return b"J" + struct.pack("<i", v)


def _ints(values):
    return b"(" + b"".join(_int(v) for v in values) + b"t"


def _tensor_pkl(storage, numel, offset, size, stride, key="0"):
    """data.pkl holding one tensor, as torch._utils._rebuild_tensor_v2 writes it."""
    return (
        b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(("
        + _str("storage") + b"ctorch\n" + storage.encode() + b"\n"
        + _str(key) + _str("cpu") + _int(numel) + b"tQ"
        + _int(offset) + _ints(size) + _ints(stride)
        + b"\x89ccollections\nOrderedDict\n)RtR."
    )


def _checkpoint(path, pkl, storages=(), byteorder=b"little"):
    records = {"archive/data.pkl": pkl, "archive/byteorder": byteorder}
    for key, data in storages:
        records[f"archive/data/{key}"] = data
    records["archive/version"] = b"3\n"
    _write_zip(path, records)


# ======================================================================
# round trips
# ======================================================================

@pytest.mark.parametrize("name, np_dtype", _DTYPES)
def test_roundtrip_each_dtype(tmp_path, name, np_dtype):
    t = autograd.from_numpy(_sample(np_dtype))
    back = _roundtrip({"t": t}, tmp_path)["t"]
    assert isinstance(back, autograd.Tensor)
    assert back.dtype is getattr(autograd, name)
    np.testing.assert_array_equal(back.numpy(), t.numpy())
    assert back.numpy().flags.writeable
    assert not back.requires_grad


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (2, 0, 4), (1,), (2, 1, 3)])
def test_roundtrip_0d_and_zero_size(tmp_path, shape):
    a = np.full(shape, 2.5, np.float32)
    back = _roundtrip(autograd.from_numpy(a), tmp_path)
    assert back.shape == shape
    assert back.dtype is autograd.float32
    np.testing.assert_array_equal(back.numpy(), a)


@pytest.mark.parametrize("view", [
    lambda a: a.T,
    lambda a: a[:, 1],
    lambda a: a[1:, ::2],
    lambda a: a[::-1],                                   # negative stride: copied
    lambda a: np.broadcast_to(a[0], (3, 4)),             # stride 0
    lambda a: a.view(np.int32)[:, 1:3],                  # reinterpreted buffer
], ids=["transpose", "column", "offset-step", "flip", "expand", "dtype-view"])
def test_roundtrip_non_contiguous(tmp_path, view):
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    a = view(base)
    back = _roundtrip(autograd.from_numpy(a), tmp_path)
    assert back.shape == a.shape
    assert back.numpy().dtype == a.dtype
    np.testing.assert_array_equal(back.numpy(), a)


def test_roundtrip_keeps_views_of_one_buffer_shared(tmp_path):
    base = autograd.arange(12.).reshape(3, 4)
    sd = {"w": base, "col": autograd.from_numpy(base.numpy()[:, 2]),
          "t": autograd.from_numpy(base.numpy().T)}
    path = tmp_path / "views.pt"
    autograd.save(sd, path)
    assert len([n for n in _records(path) if "/data/" in n]) == 1
    back = autograd.load(path)
    np.testing.assert_array_equal(back["col"].numpy(), [2., 6., 10.])
    back["w"].numpy()[1, 2] = 100.
    assert back["col"].numpy()[1] == 100.
    assert back["t"].numpy()[2, 1] == 100.
    # and a loaded file saves back with its sharing intact
    autograd.save(back, tmp_path / "again.pt")
    again = autograd.load(tmp_path / "again.pt")
    assert np.shares_memory(again["w"].numpy(), again["col"].numpy())


def test_roundtrip_nested_state_dicts_and_optimizer_state(tmp_path):
    w = autograd.randn(3, 2)
    state = {
        "model": collections.OrderedDict([("layer.weight", w), ("layer.bias", autograd.zeros(2)),
                                          ("bn.num_batches_tracked", autograd.tensor(7))]),
        "optimizer": {
            "state": {0: {"step": autograd.tensor(3.), "exp_avg": autograd.ones(3, 2)},
                      1: {"momentum_buffer": None}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8,
                              "weight_decay": 0, "amsgrad": False, "params": [0, 1]}],
        },
        "epoch": 12, "big": 2**70, "neg": -2**40, "name": "résnet ✓", "best": -0.5,
        "flags": [True, None, (), [1, [2, (3,)]]], "empty": {},
    }
    back = _roundtrip(state, tmp_path)
    assert type(back["model"]) is collections.OrderedDict
    assert list(back["model"]) == ["layer.weight", "layer.bias", "bn.num_batches_tracked"]
    np.testing.assert_array_equal(back["model"]["layer.weight"].numpy(), w.numpy())
    assert back["model"]["bn.num_batches_tracked"].dtype is autograd.int64
    assert back["model"]["bn.num_batches_tracked"].item() == 7
    opt = back["optimizer"]
    assert opt["param_groups"] == state["optimizer"]["param_groups"]
    assert opt["state"][0]["step"].item() == 3.
    assert opt["state"][1] == {"momentum_buffer": None}
    for key in ("epoch", "big", "neg", "name", "best", "flags", "empty"):
        assert back[key] == state[key]
        assert type(back[key]) is type(state[key])


def test_requires_grad_and_shared_objects_survive(tmp_path):
    w = autograd.ones(2, requires_grad=True)
    back = _roundtrip({"a": w, "b": w, "c": [w]}, tmp_path)
    assert back["a"].requires_grad and back["a"].is_leaf
    assert back["a"] is back["b"] is back["c"][0]


def test_parameter_roundtrip(tmp_path):
    Parameter = getattr(autograd.nn, "Parameter", None)
    if Parameter is None:
        pytest.skip("autograd.nn.Parameter does not exist yet")
    p = Parameter(autograd.randn(2, 3))
    frozen = Parameter(autograd.randn(2), requires_grad=False)
    back = _roundtrip({"p": p, "frozen": frozen}, tmp_path)
    assert isinstance(back["p"], Parameter) and back["p"].requires_grad
    assert isinstance(back["frozen"], Parameter) and not back["frozen"].requires_grad
    np.testing.assert_array_equal(back["p"].detach().numpy(), p.detach().numpy())


def test_numpy_scalars_are_saved_as_python_numbers(tmp_path):
    back = _roundtrip({"a": np.float32(0.5), "b": np.int64(3), "c": np.bool_(True)}, tmp_path)
    assert back == {"a": 0.5, "b": 3, "c": True}
    assert type(back["b"]) is int and type(back["c"]) is bool


def test_file_objects_and_pathlike(tmp_path):
    buf = io.BytesIO()
    autograd.save([autograd.tensor([1, 2])], buf)
    buf.seek(0)
    assert autograd.load(buf)[0].tolist() == [1, 2]

    class Stream(io.RawIOBase):        # readable but not seekable
        def __init__(self, data):
            self._inner = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._inner.readinto(b)

    assert autograd.load(Stream(buf.getvalue()))[0].tolist() == [1, 2]
    autograd.save(autograd.tensor(1.), str(tmp_path / "s.pt"))
    assert autograd.load(pathlib.Path(tmp_path / "s.pt")).item() == 1.


def test_archive_layout(tmp_path):
    autograd.save({"a": autograd.ones(3)}, tmp_path / "x.pt")
    records = _records(tmp_path / "x.pt")
    assert records["archive/byteorder"] == b"little"
    assert records["archive/version"] == b"3\n"
    assert records["archive/data/0"] == np.ones(3, np.float32).tobytes()
    pkl = records["archive/data.pkl"]
    assert pkl.startswith(b"\x80\x02")
    assert b"torch._utils\n_rebuild_tensor_v2\n" in pkl and b"torch\nFloatStorage\n" in pkl
    with zipfile.ZipFile(tmp_path / "x.pt") as zf:
        info = zf.getinfo("archive/data/0")
        with open(tmp_path / "x.pt", "rb") as fp:
            fp.seek(info.header_offset + 26)
            name_len, extra_len = struct.unpack("<HH", fp.read(4))
    assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0


@pytest.mark.parametrize("obj, type_name", [
    ({"f": lambda x: x}, "function"),
    ({"s": {1, 2}}, "set"),
    ([np.zeros(2)], "numpy.ndarray"),
    ({"d": autograd.float32}, "dtype"),
    ({"b": b"raw"}, "bytes"),
])
def test_save_refuses_other_objects(tmp_path, obj, type_name):
    with pytest.raises(TypeError, match=type_name) as info:
        autograd.save(obj, tmp_path / "x.pt")
    assert isinstance(info.value, pickle.PicklingError)


def test_save_refuses_recursive_containers(tmp_path):
    a = [1]
    a.append(a)
    with pytest.raises(ValueError, match="recursive"):
        autograd.save(a, tmp_path / "x.pt")


def test_bad_arguments(tmp_path):
    autograd.save(autograd.ones(1), tmp_path / "x.pt")
    with pytest.raises(ValueError, match="weights_only=True"):
        autograd.load(tmp_path / "x.pt", weights_only=False)
    for ok in ("cpu", "cpu:0", {"cuda:0": "cpu"}):
        assert autograd.load(tmp_path / "x.pt", map_location=ok).tolist() == [1.]
    for bad in ("cuda", "cuda:0", lambda s, loc: s, 3):
        with pytest.raises(ValueError, match="map_location"):
            autograd.load(tmp_path / "x.pt", map_location=bad)
    with pytest.raises(TypeError, match="path or a readable"):
        autograd.load(42)
    with pytest.raises(TypeError, match="path or a writable"):
        autograd.save(autograd.ones(1), 42)


# ======================================================================
# hand-made archives: byte order, bounds, malformed records
# ======================================================================

def test_big_endian_archive(tmp_path):
    values = np.array([1.5, -2., 3.25, 8.], np.float32)
    path = tmp_path / "big.pt"
    _checkpoint(path, _tensor_pkl("FloatStorage", 4, 1, [3], [1]),
                [("0", values.astype(">f4").tobytes())], byteorder=b"big")
    out = autograd.load(path)
    assert out.dtype is autograd.float32
    np.testing.assert_array_equal(out.numpy(), values[1:])


def test_bfloat16_loads_as_float32(tmp_path):
    values = np.array([1., -2.5, 0.15625], np.float32)
    top_halves = (values.view(np.uint32) >> 16).astype("<u2")
    path = tmp_path / "bf16.pt"
    _checkpoint(path, _tensor_pkl("BFloat16Storage", 3, 0, [3], [1]), [("0", top_halves.tobytes())])
    out = autograd.load(path)
    assert out.dtype is autograd.float32
    np.testing.assert_array_equal(out.numpy(), values)


def test_storage_record_shorter_than_claimed_is_refused(tmp_path):
    path = tmp_path / "short.pt"
    _checkpoint(path, _tensor_pkl("FloatStorage", 1000, 0, [1000], [1]),
                [("0", np.zeros(10, np.float32).tobytes())])
    with pytest.raises(_LOAD_ERRORS, match=r"short\.pt.*40 bytes.*4000"):
        autograd.load(path)


@pytest.mark.parametrize("offset, size, stride", [
    (0, [11], [1]),            # more elements than the storage holds
    (8, [3], [1]),             # offset pushes the end past the storage
    (0, [3, 4], [4, 1]),       # 12 elements from 10
    (0, [2, 2], [9, 1]),       # a stride that jumps past the end
])
def test_tensor_reading_outside_its_storage_is_refused(tmp_path, offset, size, stride):
    path = tmp_path / "oob.pt"
    _checkpoint(path, _tensor_pkl("FloatStorage", 10, offset, size, stride),
                [("0", np.zeros(10, np.float32).tobytes())])
    with pytest.raises(_LOAD_ERRORS, match=r"oob\.pt.*holds only 10 elements"):
        autograd.load(path)


@pytest.mark.parametrize("offset, size, stride", [(-1, [2], [1]), (0, [-2], [1]), (0, [2], [-1])])
def test_negative_offsets_sizes_and_strides_are_refused(tmp_path, offset, size, stride):
    path = tmp_path / "neg.pt"
    _checkpoint(path, _tensor_pkl("FloatStorage", 10, offset, size, stride),
                [("0", np.zeros(10, np.float32).tobytes())])
    with pytest.raises(_LOAD_ERRORS, match=r"neg\.pt.*negative"):
        autograd.load(path)


def test_missing_storage_record_and_missing_data_pkl(tmp_path):
    path = tmp_path / "nodata.pt"
    _checkpoint(path, _tensor_pkl("FloatStorage", 2, 0, [2], [1]))
    with pytest.raises(_LOAD_ERRORS, match=r"nodata\.pt.*archive/data/0"):
        autograd.load(path)
    path = tmp_path / "nopkl.pt"
    _write_zip(path, {"archive/byteorder": b"little", "archive/version": b"3\n"})
    with pytest.raises(_LOAD_ERRORS, match=r"nopkl\.pt.*data\.pkl"):
        autograd.load(path)


def test_unsupported_storage_type_is_refused(tmp_path):
    path = tmp_path / "complex.pt"
    _checkpoint(path, _tensor_pkl("ComplexFloatStorage", 1, 0, [1], [1]), [("0", bytes(8))])
    with pytest.raises(_LOAD_ERRORS, match="ComplexFloatStorage"):
        autograd.load(path)


def test_bad_byteorder_record(tmp_path):
    path = tmp_path / "order.pt"
    _checkpoint(path, _tensor_pkl("FloatStorage", 1, 0, [1], [1]), [("0", bytes(4))],
                byteorder=b"middle")
    with pytest.raises(_LOAD_ERRORS, match="byteorder"):
        autograd.load(path)


# ======================================================================
# safety: loading never runs code from the file
# ======================================================================

class _System:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _Eval:
    def __init__(self, source):
        self.source = source

    def __reduce__(self):
        import builtins
        return (builtins.eval, (self.source,))


class _Import:
    def __reduce__(self):
        return (__import__, ("os",))


@pytest.mark.parametrize("protocol", [0, 2, 4])
@pytest.mark.parametrize("payload, asked", [
    # protocol 0 spells builtins "__builtin__"; os.system is "posix.system"
    (lambda marker: _System(f"touch {marker}"), r"'(posix|os)\.system'"),
    (lambda marker: _Eval(f"open({str(marker)!r}, 'w').close()"), r"'(__builtin__|builtins)\.eval'"),
    (lambda marker: _Import(), r"'(__builtin__|builtins)\.__import__'"),
], ids=["os.system", "eval", "import"])
def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path, protocol, payload, asked):
    marker = tmp_path / "pwned"
    pkl = pickle.dumps({"weight": [1.0, payload(marker)]}, protocol=protocol)
    path = tmp_path / "evil.pt"
    _checkpoint(path, pkl)
    with pytest.raises(pickle.UnpicklingError) as info:
        autograd.load(path)
    message = str(info.value)
    assert "refused" in message and "evil.pt" in message
    assert re.search("asks for the global " + asked, message)
    assert "nothing from the file was executed" in message
    assert not marker.exists()


def test_pickle_opcodes_outside_plain_data_are_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    # BUILD on a tensor (setting attributes) and INST (an import) are refused.
    build = _tensor_pkl("FloatStorage", 1, 0, [1], [1])[:-1] + b"}" + _str("_data") + _int(1) + b"sb."
    _checkpoint(path, build, [("0", bytes(4))])
    with pytest.raises(pickle.UnpicklingError, match="refused.*sets the state of a Tensor"):
        autograd.load(path)
    inst = b"(Vtouch " + str(marker).encode() + b"\nios\nsystem\n."
    _checkpoint(path, inst)
    with pytest.raises(pickle.UnpicklingError, match="refused.*opcode INST"):
        autograd.load(path)
    assert not marker.exists()


def test_plain_pickle_file_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps(_System(f"touch {marker}"), protocol=2))
    with pytest.raises(RuntimeError, match=r"plain\.pkl.*plain pickle"):
        autograd.load(path)
    assert not marker.exists()


# ======================================================================
# damaged files
# ======================================================================

def test_truncated_files_give_clear_errors(tmp_path):
    buf = io.BytesIO()
    autograd.save({"w": autograd.randn(64, 16), "b": autograd.zeros(16)}, buf)
    data = buf.getvalue()
    for cut in (0, 3, 40, 300, len(data) // 2, len(data) - 200, len(data) - 30, len(data) - 1):
        path = tmp_path / f"cut{cut}.pt"
        path.write_bytes(data[:cut])
        with pytest.raises(_LOAD_ERRORS, match=f"cut{cut}\\.pt"):
            autograd.load(path)


def test_corrupt_zip_gives_clear_errors(tmp_path):
    buf = io.BytesIO()
    autograd.save({"w": autograd.randn(64, 16)}, buf)
    data = bytearray(buf.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("archive/data/0")
    # a flipped byte inside the storage: the CRC check catches it
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    flipped = bytearray(data)
    flipped[start + 100] ^= 0xFF
    (tmp_path / "flip.pt").write_bytes(bytes(flipped))
    with pytest.raises(_LOAD_ERRORS, match=r"flip\.pt"):
        autograd.load(tmp_path / "flip.pt")
    # garbage in the middle of the archive, and random bytes
    garbage = bytearray(data)
    garbage[len(data) // 3: len(data) // 3 + 500] = os.urandom(500)
    (tmp_path / "garbage.pt").write_bytes(bytes(garbage))
    with pytest.raises(_LOAD_ERRORS, match=r"garbage\.pt"):
        autograd.load(tmp_path / "garbage.pt")
    (tmp_path / "noise.pt").write_bytes(b"PK" + os.urandom(1000))
    with pytest.raises(_LOAD_ERRORS, match=r"noise\.pt"):
        autograd.load(tmp_path / "noise.pt")
    # a corrupt data.pkl in an intact zip
    _checkpoint(tmp_path / "pkl.pt", b"\x80\x02}q\x00(X\xff\xff\xff\x7fab")
    with pytest.raises(pickle.UnpicklingError, match=r"pkl\.pt"):
        autograd.load(tmp_path / "pkl.pt")


# ======================================================================
# numpy archives
# ======================================================================

def test_npz_state_dict(tmp_path):
    arrays = {"conv.weight": np.random.rand(2, 1, 3, 3).astype(np.float32),
              "bn.num_batches_tracked": np.array(5, np.int64),
              "mask": np.array([True, False]), "big_endian": np.arange(3, dtype=">f8")}
    np.savez(tmp_path / "sd.npz", **arrays)
    out = autograd.load(tmp_path / "sd.npz")
    assert type(out) is collections.OrderedDict
    assert list(out) == list(arrays)
    for name, a in arrays.items():
        assert isinstance(out[name], autograd.Tensor)
        np.testing.assert_array_equal(out[name].numpy(), a)
    assert out["big_endian"].dtype is autograd.float64
    np.save(tmp_path / "one.npy", np.eye(2))
    assert autograd.load(tmp_path / "one.npy").tolist() == [[1., 0.], [0., 1.]]


def test_npz_refuses_objects_and_unsupported_dtypes(tmp_path):
    np.savez(tmp_path / "obj.npz", a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(RuntimeError, match=r"obj\.npz"):
        autograd.load(tmp_path / "obj.npz")
    np.savez(tmp_path / "cplx.npz", a=np.ones(2, np.complex64))
    with pytest.raises(RuntimeError, match=r"'a'.*complex64"):
        autograd.load(tmp_path / "cplx.npz")


# ======================================================================
# PyTorch interoperability (PyTorch is only the oracle here)
# ======================================================================

_TORCH_DTYPES = ["float32", "float64", "float16", "int8", "int16", "int32", "int64",
                 "uint8", "bool"]


def test_torch_state_dict_loads(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4),
                                torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    model(torch.randn(2, 3, 3, 3))          # moves the running stats
    sd = model.state_dict()
    torch.save(sd, tmp_path / "model.pt")
    out = autograd.load(tmp_path / "model.pt", map_location="cpu")
    assert type(out) is collections.OrderedDict
    assert list(out) == list(sd)
    for name, value in sd.items():
        assert out[name].shape == tuple(value.shape)
        assert out[name].dtype.name == str(value.dtype).replace("torch.", "")
        np.testing.assert_array_equal(out[name].numpy(), value.numpy())
    assert out["1.num_batches_tracked"].dtype is autograd.int64
    assert out["1.num_batches_tracked"].item() == 1
    assert out._metadata["1"] == {"version": 2}


def test_torch_every_dtype_and_bfloat16(tmp_path):
    torch = pytest.importorskip("torch")
    src = {name: (torch.arange(-3, 3) * 1.25).to(getattr(torch, name)) for name in _TORCH_DTYPES}
    src["bf16"] = torch.tensor([1., -2.5, 3.140625], dtype=torch.bfloat16)
    torch.save(src, tmp_path / "dtypes.pt")
    out = autograd.load(tmp_path / "dtypes.pt")
    for name in _TORCH_DTYPES:
        assert out[name].dtype is getattr(autograd, name)
        np.testing.assert_array_equal(out[name].numpy(), src[name].numpy())
    assert out["bf16"].dtype is autograd.float32
    np.testing.assert_array_equal(out["bf16"].numpy(), src["bf16"].float().numpy())


def test_torch_shared_storage_views(tmp_path):
    torch = pytest.importorskip("torch")
    base = torch.arange(24.).reshape(4, 6)
    src = {"base": base, "t": base.t(), "col": base[:, 3], "block": base[1:3, 2:5],
           "step": base[::2, 1::2], "expand": base[2].expand(3, 6), "scalar": base[3, 5]}
    torch.save(src, tmp_path / "views.pt")
    out = autograd.load(tmp_path / "views.pt")
    for name, value in src.items():
        np.testing.assert_array_equal(out[name].numpy(), value.numpy())
    out["base"].numpy()[1, 3] = -1.
    assert out["col"].numpy()[1] == -1.
    assert out["t"].numpy()[3, 1] == -1.
    assert out["block"].numpy()[0, 1] == -1.


def test_torch_parameters_and_optimizer_state(tmp_path):
    torch = pytest.importorskip("torch")
    lin = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(lin.parameters(), lr=0.01)
    lin(torch.ones(1, 3)).sum().backward()
    opt.step()
    torch.save({"params": list(lin.parameters()), "opt": opt.state_dict()}, tmp_path / "o.pt")
    out = autograd.load(tmp_path / "o.pt")
    weight = out["params"][0]
    assert weight.requires_grad and weight.is_leaf
    Parameter = getattr(autograd.nn, "Parameter", None)
    if Parameter is not None:
        assert isinstance(weight, Parameter)
    np.testing.assert_array_equal(weight.detach().numpy(), lin.weight.detach().numpy())
    state = opt.state_dict()
    assert out["opt"]["param_groups"][0]["lr"] == 0.01
    assert out["opt"]["param_groups"][0]["params"] == state["param_groups"][0]["params"]
    np.testing.assert_array_equal(out["opt"]["state"][0]["exp_avg"].numpy(),
                                  state["state"][0]["exp_avg"].numpy())
    assert out["opt"]["state"][0]["step"].item() == 1.


def test_our_files_load_in_torch(tmp_path):
    torch = pytest.importorskip("torch")
    base = autograd.arange(12.).reshape(3, 4)
    ours = collections.OrderedDict(
        (name, autograd.from_numpy(_sample(np_dtype))) for name, np_dtype in _DTYPES)
    ours.update({"base": base, "t": autograd.from_numpy(base.numpy().T),
                 "col": autograd.from_numpy(base.numpy()[:, 1]),
                 "zero": autograd.zeros(0, 3), "scalar": autograd.tensor(2.5),
                 "grad": autograd.ones(2, requires_grad=True),
                 "meta": {"epoch": 3, "lrs": [0.1, 0.01], "betas": (0.9, 0.999), "x": None}})
    autograd.save(ours, tmp_path / "ours.pt")
    back = torch.load(tmp_path / "ours.pt", weights_only=True)
    assert list(back) == list(ours)
    for name, np_dtype in _DTYPES:
        assert back[name].dtype == getattr(torch, name)
        np.testing.assert_array_equal(back[name].numpy(), ours[name].numpy())
    for name in ("base", "t", "col", "zero", "scalar"):
        assert tuple(back[name].shape) == ours[name].shape
        np.testing.assert_array_equal(back[name].numpy(), ours[name].numpy())
    assert back["col"].storage_offset() == 1 and back["col"].stride() == (4,)
    assert back["t"].untyped_storage().data_ptr() == back["base"].untyped_storage().data_ptr()
    assert back["grad"].requires_grad and not back["base"].requires_grad
    assert back["meta"] == ours["meta"]


def test_our_parameters_load_in_torch(tmp_path):
    torch = pytest.importorskip("torch")
    Parameter = getattr(autograd.nn, "Parameter", None)
    if Parameter is None:
        pytest.skip("autograd.nn.Parameter does not exist yet")
    autograd.save({"p": Parameter(autograd.ones(2))}, tmp_path / "p.pt")
    back = torch.load(tmp_path / "p.pt", weights_only=True)
    assert isinstance(back["p"], torch.nn.Parameter) and back["p"].requires_grad


def test_torch_legacy_format_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match=r"old\.pt.*legacy.*re-save"):
        autograd.load(tmp_path / "old.pt")


def test_random_corruption_never_escapes_as_another_error():
    import random
    buf = io.BytesIO()
    autograd.save(collections.OrderedDict(w=autograd.randn(4, 3), b=autograd.tensor([1, 2]),
                                          m={"x": [1, 2.5, (3, None)]}), buf)
    data = buf.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        records = {name: zf.read(name) for name in zf.namelist()}
    rng = random.Random(0)
    for i in range(300):
        # bytes flipped anywhere in the archive ...
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        # ... or only in data.pkl, inside an otherwise valid zip
        pkl = bytearray(records["archive/data.pkl"])
        for _ in range(rng.randint(1, 3)):
            pkl[rng.randrange(len(pkl))] = rng.randrange(256)
        rezipped = io.BytesIO()
        _write_zip(rezipped, {**records, "archive/data.pkl": bytes(pkl)})
        for blob in (bytes(damaged), rezipped.getvalue()):
            try:
                autograd.load(io.BytesIO(blob))
            except _LOAD_ERRORS as e:
                assert "BytesIO" in str(e)
