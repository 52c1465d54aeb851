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


# Blocks of 2,000 bytes (60 MB) freed but every 16th, which pins the heap: freeing gives back none
# of it (not its top), the trim gives back their whole free pages.
TRIM_PROBE = """
import ctypes, os
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
libc.memset.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t)
from nnviz.malloc_settings import give_back_free_pages
blocks = [libc.malloc(2000) for _ in range(30000)]
for b in blocks:
    libc.memset(b, 1, 2000)  # touched: resident
for i, b in enumerate(blocks):
    if i % 16:
        libc.free(b)
freed = rss()
print(give_back_free_pages(), round(freed - rss(), 1))
"""


def test_the_free_pages_between_blocks_that_stay_go_back_to_the_system():
    words = subprocess.run([sys.executable, "-c", TRIM_PROBE], capture_output=True, text=True, check=True,
                           timeout=60).stdout.split()
    assert words[0] == "True" and float(words[1]) > 30, words  # of the ~56 MB freed


def test_the_pages_go_back_at_most_every_ten_seconds(monkeypatch):
    calls = []
    monkeypatch.setattr(malloc_settings, "_last_trim", -float("inf"))
    monkeypatch.setattr(malloc_settings, "_glibc", lambda name, argtypes: calls.append(name) or (lambda pad: 1))
    assert malloc_settings.give_back_free_pages(now=100.0)
    assert not malloc_settings.give_back_free_pages(now=105.0)
    assert malloc_settings.give_back_free_pages(now=100.0 + malloc_settings.TRIM_EVERY_S)
    assert calls == ["malloc_trim", "malloc_trim"]
