"""A .pt whose pickle would run code is refused, and nothing runs: every payload would create
a marker file (the control test shows the stdlib unpickler does run them), hidden at the top,
inside a state_dict next to real tensors, and nested in dicts, lists and tuples."""

import os
import pickle
import sys

import numpy as np
import pytest

from nnviz.model.errors import DataFormatError
from nnviz.model.files.foreign import load_foreign
from nnviz.model.files.foreign.torch_zip import ALLOWED, load_state_dict, scan_pickle

from .torchlike import G, Build, Call, Pid, dumps, ordered, tensor, torch_zip

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
    assert len(ALLOWED) == 16  # OrderedDict, 3 rebuild functions, 11 storage types, UntypedStorage


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
