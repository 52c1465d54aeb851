"""A .pt whose pickle would run code is refused, and nothing runs: every payload would create
a marker file (the control test shows the stdlib unpickler does run them), hidden at the top,
inside a state_dict next to real tensors, and nested in dicts, lists and tuples."""

import os
import pickle
import struct
import sys

import numpy as np
import pytest

from nnviz.model.errors import DataFormatError
from nnviz.model.files.foreign import load_foreign
from nnviz.model.files.foreign.torch_zip import ALLOWED, load_state_dict, scan_pickle

from .torchlike import (LEGACY_MAGIC, SYS_INFO, G, Build, Call, Pid, dumps, legacy_file, legacy_tensor, ordered, tensor,
                        torch_zip)

W = np.arange(12, dtype=np.float32).tobytes()


class OsSystem:
    def __reduce__(self):
        return os.system, ("touch marker",)


class Exec:
    def __reduce__(self):
        return exec, ("open('marker', 'w').close()",)


class Eval:
    def __reduce__(self):
        return eval, ("open('marker', 'w')",)


STDLIB_PAYLOADS = {"os.system": OsSystem, "builtins.exec": Exec, "builtins.eval": Eval}


def _hidden(evil):
    """Ways to hide a payload in what should be a state_dict."""
    return {
        "top": evil,
        "value": {"0.weight": evil},
        "dict in dict": {"0.weight": {"inner": {"deeper": evil}}},
        "list": {"0.bias": [1, 2, [evil]]},
        "tuple": {"0.weight": ((evil,),)},
        "key": {(evil,): 1},
        "checkpoint": {"epoch": 3, "model_state_dict": {"0.weight": [evil]}},
    }


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_control_the_stdlib_unpickler_runs_these_payloads(in_tmp):
    for cls in STDLIB_PAYLOADS.values():
        pickle.loads(pickle.dumps({"x": [cls()]}, protocol=2))
        assert (in_tmp / "marker").exists()
        (in_tmp / "marker").unlink()


@pytest.mark.parametrize("protocol", [2, 4, 5])
@pytest.mark.parametrize("payload", list(STDLIB_PAYLOADS))
def test_stdlib_pickled_payloads_are_refused_and_nothing_runs(in_tmp, payload, protocol):
    count = 0
    for where, obj in _hidden(STDLIB_PAYLOADS[payload]()).items():
        p = in_tmp / f"{where.replace(' ', '_')}.pt"
        p.write_bytes(torch_zip(pickle.dumps(obj, protocol=protocol), {"0": W}))
        with pytest.raises(DataFormatError, match=rf"{p.name}: refers to (posix|builtins|__builtin__)\.\w+, which a state_dict "
                                                  r"never holds: it was refused before anything was created"):
            load_foreign(p, activation="relu")
        assert not (in_tmp / "marker").exists(), where
        count += 1
    assert count == 7


#: hand-written: globals that run code, next to real tensors the allow-list accepts
EVIL_GLOBALS = [("os", "system"), ("posix", "system"), ("builtins", "exec"), ("__builtin__", "eval"),
                ("subprocess", "Popen"), ("nt", "system"), ("torch", "load"), ("torch.serialization", "load"),
                ("numpy", "load"), ("collections", "namedtuple"), ("torch._utils", "_rebuild_device_tensor_from_numpy"),
                ("copyreg", "_reconstructor"), ("functools", "partial"), ("torch", "Tensor")]


@pytest.mark.parametrize("stack", [False, True])
@pytest.mark.parametrize("module,name", EVIL_GLOBALS)
def test_hand_made_payloads_next_to_real_tensors_are_refused(in_tmp, module, name, stack):
    evil = Call(G(module, name, stack=stack), "touch marker")
    for where, body in {
        "beside": ordered({"0.weight": tensor("0", (3, 4)), "x": evil}),
        "nested": ordered({"0.weight": tensor("0", (3, 4)), "x": {"a": [(1, {"b": evil})]}}),
        "as storage": Call(G("torch._utils", "_rebuild_tensor_v2"), Pid("storage", G(module, name, stack), "0", "cpu", 12),
                           0, (3, 4), (4, 1), False, ordered({})),
        "build state": Build(ordered({"0.weight": tensor("0", (3, 4))}), {"_metadata": evil}),
    }.items():
        p = in_tmp / "evil.pt"
        p.write_bytes(torch_zip(dumps(body, protocol=4 if stack else 2), {"0": W}))
        with pytest.raises(DataFormatError, match=r"evil.pt: (refers to|holds a whole pickled model)"):
            load_state_dict(p)
        assert not (in_tmp / "marker").exists(), where


def test_the_allow_list_is_what_a_state_dict_needs():
    assert ("collections", "OrderedDict") in ALLOWED and ("torch._utils", "_rebuild_tensor_v2") in ALLOWED
    assert all(m in ("collections", "torch", "torch._utils", "torch.storage") for m, _ in ALLOWED)
    assert len(ALLOWED) == 17  # OrderedDict, 4 rebuild functions, 11 storage types, UntypedStorage


@pytest.mark.parametrize("ops,word", [(b"c__main__\nEvil\n)\x81.", "whole pickled model (__main__.Evil)"),
                                      (b"ccollections\nOrderedDict\n)\x81.", "NEWOBJ"),
                                      (b"(i__main__\nEvil\n.", "INST"), (b"\x82\x01)R.", "EXT1"),
                                      (b"Pfoo\n.", "PERSID"), (b"\x97.", "NEXT_BUFFER")])
def test_opcodes_that_build_arbitrary_objects_are_refused_before_unpickling(ops, word):
    problem = scan_pickle(b"\x80\x05" + ops)
    assert problem and word in problem


def test_what_the_allowed_callables_return_cannot_be_abused(in_tmp):
    """BUILD on the rebuilt tensor or a storage type, calling a storage type, a tensor from a
    non-storage: each refused with our error."""
    cases = {
        "build tensor": ordered({"0.weight": Build(tensor("0", (3, 4)), {"array": "x"})}),
        "call storage": ordered({"0.weight": Call(G("torch", "FloatStorage"), "x")}),
        "tensor of str": ordered({"0.weight": Call(G("torch._utils", "_rebuild_tensor_v2"), "s", 0, (3,), (1,),
                                                   False, ordered({}))}),
        "bad pid": ordered({"0.weight": Call(G("torch._utils", "_rebuild_tensor_v2"), Pid("storage", "x"),
                                             0, (3,), (1,), False, ordered({}))}),
        "key path": ordered({"0.weight": Call(G("torch._utils", "_rebuild_tensor_v2"),
                                              Pid("storage", G("torch", "FloatStorage"), "../../etc/passwd", "cpu", 3),
                                              0, (3,), (1,), False, ordered({}))}),
    }
    for body in cases.values():
        p = in_tmp / "odd.pt"
        p.write_bytes(torch_zip(dumps(body), {"0": W}))
        with pytest.raises(DataFormatError, match="odd.pt: "):
            load_state_dict(p)


def test_a_hand_made_state_dict_loads(in_tmp):
    p = in_tmp / "ok.pt"
    body = Build(ordered({"0.weight": tensor("0", (3, 4)), "0.bias": tensor("1", (3,)),
                          "t": tensor("0", (4, 3), stride=(1, 4))}), {"_metadata": ordered({"": {"version": 1}})})
    p.write_bytes(torch_zip(dumps(body), {"0": W, "1": W[:12]}))
    sd = load_state_dict(p)
    assert np.array_equal(sd["0.weight"], np.arange(12).reshape(3, 4))
    assert np.array_equal(sd["t"], np.arange(12).reshape(3, 4).T)  # strides honoured
    assert sys.getrefcount(sd) > 0


# --- the legacy format (a sequence of pickles): the same checks, on every pickle in it -------------

@pytest.mark.parametrize("protocol", [2, 4])
@pytest.mark.parametrize("payload", list(STDLIB_PAYLOADS))
def test_legacy_files_whose_pickle_would_run_code_are_refused_and_nothing_runs(in_tmp, payload, protocol):
    evil = STDLIB_PAYLOADS[payload]()
    cases = {f"body {where}": legacy_file(pickle.dumps(obj, protocol=protocol), {"0": (3, W[:12])})
             for where, obj in _hidden(evil).items()}
    # the bookkeeping pickles: the magic number, the version, the system info, the storage list
    parts = [LEGACY_MAGIC, 1001, SYS_INFO]
    for i in range(3):
        head = b"".join(pickle.dumps(evil if j == i else v, protocol=protocol) for j, v in enumerate(parts))
        cases[f"header {i}"] = legacy_file(dumps(ordered({"0.weight": legacy_tensor("0", (3,))})),
                                           {"0": (3, W[:12])}, header=head)
    body = dumps(ordered({"0.weight": legacy_tensor("0", (3,))}))
    cases["storage list"] = (b"".join(pickle.dumps(v, protocol=2) for v in parts) + body
                             + pickle.dumps([evil], protocol=protocol) + struct.pack("<q", 3) + W[:12])
    for where, blob in cases.items():
        p = in_tmp / "evil.pt"
        p.write_bytes(blob)
        with pytest.raises(DataFormatError, match=r"evil.pt: refers to (posix|builtins|__builtin__)\.\w+, which a "
                                                  r"state_dict never holds"):
            load_foreign(p, activation="relu")
        assert not (in_tmp / "marker").exists(), where
    assert len(cases) == 11


def test_control_the_stdlib_unpickler_runs_a_legacy_files_payload(in_tmp):
    """What torch.load(weights_only=False) would do with the body: the standard unpickler runs it."""
    blob = legacy_file(pickle.dumps({"0.weight": OsSystem()}, protocol=2), {})
    import io

    f = io.BytesIO(blob)
    for _ in range(4):
        pickle.load(f)
    assert (in_tmp / "marker").exists()


@pytest.mark.parametrize("module,name", EVIL_GLOBALS[:6])
def test_hand_made_legacy_payloads_next_to_real_tensors_are_refused(in_tmp, module, name):
    evil = Call(G(module, name), "touch marker")
    body = dumps(ordered({"0.weight": legacy_tensor("0", (3, 4)), "x": {"a": [evil]}}))
    p = in_tmp / "evil.pt"
    p.write_bytes(legacy_file(body, {"0": (12, W)}))
    with pytest.raises(DataFormatError, match=r"evil.pt: (refers to|holds a whole pickled model)"):
        load_state_dict(p)
    assert not (in_tmp / "marker").exists()


def test_a_hand_made_legacy_state_dict_loads_with_its_views(in_tmp):
    p = in_tmp / "ok.pt"
    body = ordered({"0.weight": legacy_tensor("0", (3, 4)), "0.bias": legacy_tensor("1", (3,)),
                    "v": legacy_tensor("0", (2,), numel=12, view=("7", 5, 2))})
    p.write_bytes(legacy_file(dumps(body), {"0": (12, W), "1": (3, W[:12])}))
    sd = load_state_dict(p)
    assert np.array_equal(sd["0.weight"], np.arange(12).reshape(3, 4))
    assert np.array_equal(sd["0.bias"], [0, 1, 2]) and np.array_equal(sd["v"], [5, 6])


@pytest.mark.parametrize("case,words", [
    ("count differs", "stores 11 numbers for storage '0', which declares 12"),
    ("short data", "ends inside storage '0'"),
    ("key not listed", "lists other storages than its tensors use"),
    ("extra bytes", "bytes after its last storage"),
    ("view outside", "has a view of storage '0' that is not inside it"),
    ("not torch", "is a pickle, not a PyTorch state_dict file"),
])
def test_damaged_legacy_files_say_what_is_wrong(in_tmp, case, words):
    body = dumps(ordered({"0.weight": legacy_tensor("0", (3, 4))}))
    blob = {
        "count differs": legacy_file(body, {"0": (11, W[:44])}),
        "short data": legacy_file(body, {"0": (12, W[:40])}),
        "key not listed": legacy_file(body, {"0": (12, W)}, keys=["1"]),
        "extra bytes": legacy_file(body, {"0": (12, W)}) + b"junk",
        "view outside": legacy_file(dumps(ordered({"v": legacy_tensor("0", (2,), numel=12, view=("7", 11, 2))})),
                                    {"0": (12, W)}),
        "not torch": pickle.dumps({"a": 1}, protocol=2),
    }[case]
    p = in_tmp / "bad.pt"
    p.write_bytes(blob)
    with pytest.raises(DataFormatError, match="bad.pt: ") as e:
        load_state_dict(p)
    assert words in str(e.value)
