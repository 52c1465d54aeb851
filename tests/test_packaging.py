"""The wheel carries resources/ and the locator finds it there, as in a source checkout."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from nnviz.resources import resource_dir, resource_path

ROOT = Path(__file__).resolve().parents[1]


def test_resources_are_found_in_the_checkout():
    assert (resource_dir() / "data").is_dir()
    assert resource_path("data", "digits.npz").is_file()
    assert resource_path("ATTRIBUTION.md").is_file()


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "pyproject.toml").exists(), reason="needs a source checkout")
def test_wheel_ships_resources_and_finds_them_when_installed(tmp_path):
    pytest.importorskip("build")
    out = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(ROOT)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    wheel = next(tmp_path.glob("nnviz-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for f in ("nnviz/resources/data/digits.npz", "nnviz/resources/data/mnist_5k.npz",
              "nnviz/resources/ATTRIBUTION.md", "nnviz/model/core/network.py", "nnviz/qt/window/main_window.py"):
        assert f in names
    # unpack it somewhere else and import from there: the locator must find the wheel's copy
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import nnviz.resources as r, nnviz.model.lessons as l; "
            "print(r.resource_dir()); print(len(l.load_dataset('digits').x_train))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    where, n = proc.stdout.split()
    assert Path(where) == site / "nnviz" / "resources"
    assert int(n) > 1000
