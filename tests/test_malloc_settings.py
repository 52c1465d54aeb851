"""The allocator setting that makes memory level off on a long run (malloc_settings.py)."""

import subprocess
import sys

import pytest

from nnviz import malloc_settings

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")

# After a freed 8 MiB block, glibc serves a 6 MiB one from the heap (its threshold rose to
# 8 MiB): the heap grows and keeps it. Held at 128 KiB, the 6 MiB block is mapped on its own;
# held at 32 MiB (a conv net), it comes from the heap again.
PROBE = """
import ctypes, sys
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                 "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
if not hasattr(libc, "mallinfo2"):
    print("no-glibc"); sys.exit()
libc.mallinfo2.restype = Info
from nnviz.malloc_settings import fit_to_network
if sys.argv[1] != "default":
    assert fit_to_network(sys.argv[1] == "dense")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
libc.free(libc.malloc(8 << 20))
before = libc.mallinfo2().hblkhd
block = libc.malloc(6 << 20)
print(libc.mallinfo2().hblkhd - before >= 6 << 20)
"""


def _mapped(mode: str) -> str:
    return subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True,
                          timeout=60).stdout.strip()


def test_a_dense_net_keeps_large_blocks_mapped_after_a_larger_one_was_freed():
    default = _mapped("default")
    if default == "no-glibc":
        pytest.skip("not glibc")
    assert default == "False"  # glibc's own behaviour, which grew the heap for ever
    assert _mapped("dense") == "True"
    assert _mapped("conv") == "False"


def test_the_threshold_is_set_once_per_change(monkeypatch):
    calls = []
    monkeypatch.setattr(malloc_settings, "_set", None)
    monkeypatch.setattr(malloc_settings, "_mallopt", lambda: lambda param, value: calls.append((param, value)) or 1)
    for is_mlp in (True, True, False, False, True):
        assert malloc_settings.fit_to_network(is_mlp)
    mmap = [v for p, v in calls if p == malloc_settings.M_MMAP_THRESHOLD]
    assert mmap == [malloc_settings.DENSE_NET, malloc_settings.CONV_NET, malloc_settings.DENSE_NET]
    assert {v for p, v in calls if p == malloc_settings.M_TRIM_THRESHOLD} == {malloc_settings.TRIM}
