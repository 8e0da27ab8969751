"""python/ as a package: `pip install ./python` installs ckpt_torch and ckpt_lenet with h5py,
numpy and xxhash as dependencies (xxhash: a save hashes at native speed) and torch optional.

The wheel test builds with the setuptools already installed (no network); it is skipped with
a message where setuptools cannot build wheels (older than 70.1 without the wheel package).
"""
import os
import subprocess
import sys
import zipfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.abspath(os.path.join(HERE, ".."))

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None


def can_build_wheel():
    """setuptools with bdist_wheel: built in from setuptools 70.1, else from the wheel package."""
    try:
        import setuptools
    except ImportError:
        return False
    try:
        import wheel  # noqa: F401
        return True
    except ImportError:
        parts = setuptools.__version__.split(".")
        return (int(parts[0]), int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0) >= (70, 1)


def project():
    with open(os.path.join(PKG, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def names(requirements):
    return {r.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip().lower() for r in requirements}


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_dependencies_are_h5py_numpy_xxhash_and_torch_is_optional():
    p = project()
    assert names(p["project"]["dependencies"]) == {"h5py", "numpy", "xxhash"}
    assert names(p["project"]["optional-dependencies"]["torch"]) == {"torch"}


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_every_listed_module_exists_and_every_module_is_listed():
    modules = set(project()["tool"]["setuptools"]["py-modules"])
    on_disk = {f[:-3] for f in os.listdir(PKG) if f.endswith(".py")}
    assert modules == on_disk


@pytest.mark.skipif(not can_build_wheel(), reason="setuptools >= 70.1 (or wheel) is not installed: the wheel is not built")
def test_wheel_holds_the_modules_and_names_the_dependencies(tmp_path):
    # A copy of the folder, so the build leaves nothing (build/, *.egg-info) in the source tree.
    src = tmp_path / "src"
    src.mkdir()
    for f in os.listdir(PKG):
        if f.endswith(".py") or f in ("pyproject.toml", "README.md"):
            (src / f).write_bytes(open(os.path.join(PKG, f), "rb").read())
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                        "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True)
    if r.returncode != 0 and "No module named pip" in r.stderr:
        pytest.skip("pip is not installed")
    assert r.returncode == 0, r.stderr
    wheels = list((tmp_path / "dist").glob("*.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(wheels[0]) as z:
        files = z.namelist()
        assert "ckpt_torch.py" in files and "ckpt_lenet.py" in files
        meta = z.read(next(f for f in files if f.endswith("METADATA"))).decode()
    requires = [l.split(":", 1)[1].strip() for l in meta.splitlines() if l.startswith("Requires-Dist:")]
    plain = [r for r in requires if "extra ==" not in r]
    assert names(plain) == {"h5py", "numpy", "xxhash"}
