"""Session files that hold data only: a zip of one JSON manifest and ``.npy`` arrays.

Opening a session file never runs code from it. The layout (``format_version`` 1):

``alviz_session.json``
    The manifest: ``format`` ("alviz-session"), ``format_version``, the alviz
    version that wrote it (for people; the reader ignores it), a summary of the
    dataset and the run, the sha256 of every other entry, and ``state``: the
    Session's attributes as tagged JSON (see :class:`_Writer`).
``alviz_session.sha256``
    The sha256 of the manifest's bytes.
``arrays/NNNNNN.npy``
    Every array, written with ``numpy.save(allow_pickle=False)`` and read with
    ``numpy.load(allow_pickle=False)``.

Objects are stored as what rebuilds them, never pickled: a strategy as its
registry name and ``get_params()``, a model or an oracle as its class path and
parameters, a fitted torch model as its ``state_dict`` arrays plus its fitted
attributes, a scikit-learn model as its fitted attributes when they are all
data (otherwise it is refitted on load, deterministically, from the last
round's labeled set and random stream), dataclasses (Round, Field, Dataset) by
their fields. A class is looked up only among the ``classes`` the caller
passes, in alviz's own modules, or in scikit-learn / torch modules that are
already imported, and only if it is a class of the expected kind whose own
path is the stored one; nothing named in a file is ever imported from outside
alviz.

A Round's ``extras`` hold the strategy's diagnostics (each of its declared kind,
:data:`alviz.strategies.base.DIAGNOSTICS`), and ``augment_inputs`` (the inputs a
strategy asked the Session to train on) is a field of its own. Files written
before that field existed kept ``augment_inputs`` in ``extras``; the reader moves
it to the field (:func:`_upgrade_round`). A Round's ``strategy_picks`` and ``chosen_by`` (a round whose
picks you gave, ``Session.step(picks=...)``) are fields too; a file from before them holds rounds the
strategy chose, so the reader sets their ``strategy_picks`` to their picks. A Round's ``placed`` (the
inputs its overlays draw, placed in pictures by ``Session.place_inputs``) is a field as well; rounds of a
file from before it have none (on 2-D data the reader places them in the input plane, as a round now does).

The format has its own version: a reader knows every version up to
``FORMAT_VERSION`` and refuses a newer file with "upgrade alviz". Files of the
old pickle format (``ALVIZ-SESSION\\n`` header) are refused unless the caller
passes ``allow_pickle=True`` for a file they wrote themselves (unsafe: a
pickle runs code).
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Dict, Mapping, Optional

import numpy as np

from . import _spill, _version

__all__ = ["save_session", "load_session", "FORMAT_VERSION", "SessionFileError"]

FORMAT = "alviz-session"
#: the newest format this alviz writes; it reads every version from 1 up to this one
FORMAT_VERSION = 1
MANIFEST = "alviz_session.json"
MANIFEST_SUM = "alviz_session.sha256"
PICKLE_MAGIC = b"ALVIZ-SESSION\n"
_ZIP_MAGIC = b"PK\x03\x04"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_MAX_MANIFEST = 1 << 28  # 256 MiB of JSON: far beyond any session's (entries carry no clock: same session, same bytes)

#: module roots a class may be looked up in without the caller passing it (already-imported modules only,
#: except alviz's own, which may be imported)
_TRUSTED_ROOTS = ("alviz", "sklearn", "torch")
_MODULE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class SessionFileError(ValueError):
    """A session file that cannot be read or written, with what is wrong and what to do."""


class SessionWriteError(SessionFileError, OSError):
    """A session file that could not be written (a read-only folder, a full disk); nothing was written."""

    def __init__(self, message: str, errno_: Optional[int] = None):
        SessionFileError.__init__(self, message)
        self.errno = errno_

    def __str__(self) -> str:
        return str(self.args[0])


class _Corrupt(Exception):
    """Internal: the bytes do not hold a readable archive (turned into SessionFileError)."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _class_path(cls) -> Dict[str, str]:
    return {"module": cls.__module__, "qualname": cls.__qualname__}


# ============================================================================ writing
class _Writer:
    """Encodes Python values as tagged JSON; arrays go to ``.npy`` entries.

    Plain JSON: None, bool, int, float (NaN and inf included), str, lists.
    Tagged (a dict with one ``__tag__`` key): ``__array__`` (an entry name),
    ``__scalar__`` (a numpy scalar, as a 0-d array), ``__tuple__``,
    ``__dict__`` (str keys), ``__items__`` (other keys), ``__class__``,
    ``__generator__`` (a numpy Generator's state), ``__dataclass__``,
    ``__strategy__``, ``__estimator__``, ``__object__`` (e.g. an oracle: class path +
    ``get_params()``).
    """

    def __init__(self, sink=None):
        #: entry name -> its SHA-256 (the entries the manifest lists)
        self.entries: Dict[str, str] = {}
        self._by_digest: Dict[str, str] = {}  # the same array twice (e.g. VAAL's mu and representation) is one entry
        self._count = 0
        #: where an entry's bytes go as soon as it is encoded (the zip being written), so that a session's
        #: arrays are never all serialised in memory at once
        self._sink = sink if sink is not None else (lambda name, data: None)

    def array(self, a, where: str) -> dict:
        a = np.asarray(a)
        if a.dtype.hasobject:
            raise SessionFileError(
                f"{where} is an array of Python objects, which a session file cannot hold (it holds data "
                "only); store numbers or strings"
            )
        buf = io.BytesIO()
        np.save(buf, a, allow_pickle=False)
        _spill.release(a)  # an old round's memory-mapped array: reading it for the file leaves nothing resident
        data = buf.getvalue()
        del buf
        digest = _sha256(data)
        name = self._by_digest.get(digest)
        if name is None or name not in self.entries:
            name = f"arrays/{self._count:06d}.npy"
            self._count += 1
            self._sink(name, data)
            self.entries[name] = digest
            self._by_digest[digest] = name
        return {"__array__": name}

    def encode(self, v, where: str):
        from .strategies import Strategy

        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, (int, float)) and type(v) in (int, float):
            return v
        if isinstance(v, np.ndarray):
            return self.array(v, where)
        if isinstance(v, np.generic):
            return {"__scalar__": self.array(np.asarray(v), where)}
        if isinstance(v, tuple):
            return {"__tuple__": [self.encode(x, f"{where}[{i}]") for i, x in enumerate(v)]}
        if isinstance(v, list):
            return [self.encode(x, f"{where}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, dict):
            if all(isinstance(k, str) for k in v):
                return {"__dict__": {k: self.encode(x, f"{where}[{k!r}]") for k, x in v.items()}}
            return {
                "__items__": [
                    [self.encode(k, f"{where} (a key)"), self.encode(x, f"{where}[{k!r}]")] for k, x in v.items()
                ]
            }
        if isinstance(v, type):
            return {"__class__": _class_path(v)}
        if isinstance(v, np.random.Generator):
            return {"__generator__": self.encode(v.bit_generator.state, where)}
        if _is_tensor(v):
            return {"__tensor__": self.array(v.detach().cpu().numpy(), where)}
        if dataclasses.is_dataclass(v):
            return {
                "__dataclass__": _class_path(type(v)),
                "fields": {f.name: self.encode(getattr(v, f.name), f"{where}.{f.name}") for f in dataclasses.fields(v)},
            }
        if isinstance(v, Strategy):
            return {
                "__strategy__": v.name,
                "class": _class_path(type(v)),
                "params": self.encode(v.get_params(deep=False), f"{where} (strategy {v.name!r}) parameter"),
            }
        if _is_estimator(v):
            return self.estimator(v, where)
        if callable(getattr(v, "get_params", None)):
            return {
                "__object__": _class_path(type(v)),
                "params": self.encode(v.get_params(), f"{where} ({type(v).__name__}) parameter"),
            }
        if callable(v) and "module" in where:
            name = getattr(v, "__name__", type(v).__name__)
            raise SessionFileError(
                f"{where} is {'a lambda' if name == '<lambda>' else f'the function {name}'}, which a session file "
                "cannot hold: it holds data, never code, so it could not rebuild the network. Give TorchModel the "
                "nn.Module class itself (TorchModel(MyNet)); for constructor arguments, a small subclass that sets "
                "them (class MyNet64(MyNet): def __init__(self): super().__init__(width=64)), then load with "
                "Session.load(path, classes=[MyNet64])"
            )
        what = "a function" if callable(v) else f"a {type(v).__name__}"
        raise SessionFileError(
            f"{where} is {what}, which a session file cannot hold (it holds arrays, numbers, strings, "
            "and objects rebuilt from their parameters); use plain data there, or a class rather than a "
            "lambda for a model's module"
        )

    def estimator(self, est, where: str) -> dict:
        out = {
            "__estimator__": _class_path(type(est)),
            "params": self.encode(est.get_params(deep=False), f"{where} ({type(est).__name__}) parameter"),
        }
        fitted = {k: v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("__")}
        if not fitted:
            return out
        net = fitted.pop("network_", None)
        if net is not None and _is_module(net):
            modules = {id(m): name for name, m in net.named_modules()}
            attrs = {}
            for k, v in fitted.items():
                if _is_module(v) and id(v) in modules:
                    attrs[k] = {"__submodule__": modules[id(v)]}
                elif type(v).__name__ == "device" and type(v).__module__.startswith("torch"):
                    attrs[k] = {"__device__": str(v)}
                else:
                    attrs[k] = self.encode(v, f"{where}.{k}")
            state = {
                k: self.array(t.detach().cpu().numpy(), f"{where} weight {k}") for k, t in net.state_dict().items()
            }
            out["fitted"] = {"network": {"__dict__": state}, "attrs": {"__dict__": attrs}}
            return out
        before = list(self.entries)
        try:
            out["fitted"] = {"attrs": self.encode(fitted, f"{where} fitted state")}
        except SessionFileError:
            if where != "session.model":
                raise
            for name in set(self.entries) - set(before):
                del self.entries[name]
            out["fitted"] = "refit"  # the session's model, not data (e.g. a forest's trees): refitted on load
        return out


def _is_tensor(v) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(v, torch.Tensor)


def _is_module(v) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(v, torch.nn.Module)


def _is_module_class(cls) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and issubclass(cls, torch.nn.Module)


def _is_estimator(v) -> bool:
    from sklearn.base import BaseEstimator

    return isinstance(v, BaseEstimator)


def _summary(session) -> dict:
    ds = session.dataset
    return {
        "dataset": {
            "name": ds.name,
            "n_pool": int(len(ds.X)),
            "n_test": int(len(ds.X_test)),
            "input_shape": list(ds.input_shape),
            "n_classes": int(ds.n_classes),
            "class_names": list(ds.class_names),
            "fingerprint": ds.fingerprint(),
        },
        "strategy": session.strategy.name,
        "rounds": len(session.rounds),
        "n_labeled": session.n_labeled,
    }


def _write_session(session, fileobj) -> None:
    """Write the session file of ``session`` to ``fileobj``, each array entry as soon as it is encoded."""
    with zipfile.ZipFile(fileobj, "w", allowZip64=True) as zf:

        def put(name, data, compress):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            zf.writestr(info, data, compresslevel=1 if compress else None)

        # arrays are stored as they are: a reader never inflates more than it reads
        w = _Writer(sink=lambda name, data: put(name, data, False))
        state = {name: w.encode(value, f"session.{name}") for name, value in session.state().items()}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "written_by": f"alviz {_version.__version__}",
            "summary": _summary(session),
            "entries": dict(w.entries),
            "state": state,
        }
        mbytes = json.dumps(manifest, allow_nan=True).encode("utf-8")
        put(MANIFEST, mbytes, True)
        put(MANIFEST_SUM, _sha256(mbytes).encode(), False)


def session_bytes(session) -> bytes:
    """The bytes of a session file for ``session`` (see the module docstring)."""
    buf = io.BytesIO()
    _write_session(session, buf)
    return buf.getvalue()


def save_session(session, path) -> Path:
    """Write ``session`` to ``path`` atomically; see :meth:`alviz.Session.save`.

    The file is written entry by entry into a temp file beside ``path`` and renamed over it
    at the end: memory holds one array at a time, and anything that fails (an attribute that
    is not data, a full disk) leaves the previous file as it was.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot save to {path}: the folder {directory} does not exist")
    if path.is_dir():
        raise SessionFileError(
            f"cannot save to {path}: it is a folder; give a file name in it, e.g. "
            f"session.save({str(path / 'run.alviz')!r})"
        )
    try:
        _write_atomically(session, path, directory)
    except OSError as exc:
        reason = {
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
            errno.EROFS: "the file system is read-only",
            errno.ENOSPC: "the disk is full",
            errno.EDQUOT: "the disk quota is exceeded",
        }.get(exc.errno or 0, exc.strerror or str(exc))
        raise SessionWriteError(
            f"cannot save the session to {path}: {reason} in {directory}; save it in a folder you can write to "
            "(nothing was written, the session is unchanged)",
            exc.errno,
        ) from exc
    return path


def _write_atomically(session, path: Path, directory: Path) -> None:
    """The session into a temp file beside ``path``, renamed over it at the end (removed on failure)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w+b") as f:
            _write_session(session, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# ============================================================================ reading
def _read_archive(data) -> tuple:
    """(manifest, zip) from a zip session file (its bytes or an open binary file); the archive's checks."""
    zf = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data)
    names = set(zf.namelist())
    if MANIFEST not in names or MANIFEST_SUM not in names:
        raise _Corrupt("it has no manifest")
    for info in zf.infolist():  # no entry may inflate beyond what a reader expects (no zip bombs)
        if info.filename != MANIFEST and (
            info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size
        ):
            raise _Corrupt(f"its entry {info.filename} is compressed, which session files never are")
        if info.file_size > _MAX_MANIFEST and info.filename == MANIFEST:
            raise _Corrupt("its manifest is implausibly large")
    mbytes = zf.read(MANIFEST)
    if zf.read(MANIFEST_SUM).decode("ascii", errors="replace").strip() != _sha256(mbytes):
        raise _Corrupt("its manifest does not match the checksum written with it")
    manifest = json.loads(mbytes.decode("utf-8"))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _Corrupt("its manifest is not an alviz session's")
    return manifest, zf


def _load_entries(manifest: dict, zf: zipfile.ZipFile, store=None) -> Dict[str, np.ndarray]:
    """The listed arrays, each checked against its checksum.

    With a spill ``store`` (:class:`alviz._spill.SpillStore`), an entry of at least
    ``alviz._spill.SPILL_MIN_BYTES`` is copied, chunk by chunk, to a file of the store and
    memory-mapped from there (the rounds load lazily: a page is read when something reads
    it), never held whole in memory; the session file itself is never mapped, so replacing
    it later cannot change a loaded session.
    """
    listed = manifest.get("entries")
    if not isinstance(listed, dict):
        raise _Corrupt("its manifest lists no entries")
    state = manifest.get("state")
    lazy = set()
    if store is not None and isinstance(state, dict):  # only the rounds' arrays stay on disk
        _array_names([state.get("rounds"), state.get("pending")], lazy)
    arrays = {}
    for name, digest in listed.items():
        if not isinstance(name, str) or not isinstance(digest, str):
            raise _Corrupt("its manifest lists an entry that is not a name and a checksum")
        if name in lazy and zf.getinfo(name).file_size >= _spill.SPILL_MIN_BYTES:
            arrays[name] = _npy_mapped(zf, name, digest, store)
            continue
        raw = zf.read(name)
        if _sha256(raw) != digest:
            raise _Corrupt(f"its entry {name} does not match its checksum")
        arrays[name] = _npy(raw, name)
    return arrays


def _array_names(v, out: set, depth: int = 0) -> None:
    """The entry names (``{"__array__": name}``) anywhere in the manifest value ``v``."""
    if depth > 200:
        raise _Corrupt("its manifest is nested implausibly deep")
    if isinstance(v, dict):
        name = v.get("__array__")
        if isinstance(name, str):
            out.add(name)
        for x in v.values():
            _array_names(x, out, depth + 1)
    elif isinstance(v, list):
        for x in v:
            _array_names(x, out, depth + 1)


def _npy_mapped(zf: zipfile.ZipFile, name: str, digest: str, store) -> np.ndarray:
    """Entry ``name`` copied to a file of ``store`` while its checksum is computed, then memory-mapped."""
    target = store.new_file()
    h = hashlib.sha256()
    with zf.open(name) as src, open(target, "wb") as dst:
        while True:
            chunk = src.read(1 << 22)
            if not chunk:
                break
            h.update(chunk)
            dst.write(chunk)
    if h.hexdigest() != digest:
        target.unlink(missing_ok=True)
        raise _Corrupt(f"its entry {name} does not match its checksum")
    with open(target, "rb") as f:
        version = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _fortran, dtype = read_header(f)
        start = f.tell()
    if dtype.hasobject:
        raise _Corrupt(f"its entry {name} holds Python objects, which session files never do")
    if int(np.prod(shape, dtype=np.float64)) * dtype.itemsize > target.stat().st_size - start:
        raise _Corrupt(f"its entry {name} is shorter than the array it declares")
    return np.load(target, mmap_mode="r", allow_pickle=False)


def _npy(raw: bytes, name: str) -> np.ndarray:
    """An array from ``.npy`` bytes, never unpickling and never allocating more than the bytes hold."""
    fp = io.BytesIO(raw)
    version = np.lib.format.read_magic(fp)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, _fortran, dtype = read_header(fp)
    if dtype.hasobject:
        raise _Corrupt(f"its entry {name} holds Python objects, which session files never do")
    if int(np.prod(shape, dtype=np.float64)) * dtype.itemsize > len(raw) - fp.tell():
        raise _Corrupt(f"its entry {name} is shorter than the array it declares")
    return np.load(io.BytesIO(raw), allow_pickle=False)


class _Reader:
    """Decodes what :class:`_Writer` encoded, resolving classes by the module's policy."""

    def __init__(self, arrays: Dict[str, np.ndarray], classes: Mapping[str, type]):
        self.arrays = arrays
        self.classes = classes
        self.refit = False

    # ---------------------------------------------------------------- classes
    def resolve(self, spec, kind: str, base: Optional[type] = None, alviz_only: bool = False) -> type:
        """The class ``spec`` names: from ``classes``, else alviz's own (or, unless ``alviz_only``,
        an already-imported scikit-learn or torch module's), and a subclass of ``base``."""
        module, qualname = spec["module"], spec["qualname"]
        if not (
            isinstance(module, str)
            and isinstance(qualname, str)
            and _MODULE_RE.match(module)
            and _MODULE_RE.match(qualname)
        ):
            raise SessionFileError(f"the file names a {kind} class by an invalid path {module!r}.{qualname!r}")
        key = f"{module}.{qualname}"
        if key in self.classes:
            cls = self.classes[key]
        else:
            root = module.split(".")[0]
            private = any(p.startswith("_") for p in qualname.split("."))
            if root not in _TRUSTED_ROOTS or (private and root != "alviz") or (alviz_only and root != "alviz"):
                raise SessionFileError(
                    f"the file's {kind} is the class {key}, which is not part of alviz; a session file never "
                    f"imports code, so pass the class yourself: alviz.Session.load(path, classes=[{qualname}])"
                )
            mod = sys.modules.get(module)
            if mod is None and root == "alviz":
                import importlib

                try:
                    mod = importlib.import_module(module)
                except ImportError:
                    mod = None
            if mod is None:
                raise SessionFileError(
                    f"the file's {kind} is the class {key}, and its module {module} is not imported; import it "
                    f"first, or pass the class: alviz.Session.load(path, classes=[{qualname}])"
                )
            cls = mod
            for part in qualname.split("."):
                cls = getattr(cls, part, None)
                if cls is None or not isinstance(cls, type):
                    raise SessionFileError(
                        f"the file's {kind} is the class {key}, which this alviz does not have; pass it "
                        f"yourself (classes=[...]) or open the file with the alviz that wrote it"
                    )
            if (cls.__module__, cls.__qualname__) != (module, qualname):
                raise SessionFileError(f"the file names the {kind} class {key}, but that path leads elsewhere")
        if not isinstance(cls, type) or (base is not None and not issubclass(cls, base)):
            want = "a class" if base is None else f"a subclass of {base.__module__}.{base.__qualname__}"
            raise SessionFileError(f"classes[{key!r}] must be {want}, got {cls!r}")
        return cls

    # ---------------------------------------------------------------- values
    #: True while the rounds are decoded: their large arrays may stay memory-mapped (they are only read);
    #: everything else (the labels, the dataset, the model's weights) is read into memory
    lazy = False

    def array(self, tagged) -> np.ndarray:
        name = tagged["__array__"]
        if name not in self.arrays:
            raise SessionFileError(f"the manifest refers to an entry {name!r} the file does not hold")
        a = self.arrays[name]
        if isinstance(a, np.memmap) and not self.lazy:
            out = np.array(a)
            _spill.release(a)
            return out
        return a

    def decode(self, v):
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [self.decode(x) for x in v]
        if not isinstance(v, dict) or not v:
            raise SessionFileError(f"unexpected value {type(v).__name__} in the manifest")
        tag = next(iter(v)) if len(v) == 1 else next((k for k in v if k.startswith("__")), None)
        if tag == "__array__":
            return self.array(v)
        if tag == "__scalar__":
            return self.array(v["__scalar__"])[()]
        if tag == "__tuple__":
            return tuple(self.decode(x) for x in v["__tuple__"])
        if tag == "__dict__":
            return {str(k): self.decode(x) for k, x in v["__dict__"].items()}
        if tag == "__items__":
            return {_hashable(self.decode(k)): self.decode(x) for k, x in v["__items__"]}
        if tag == "__class__":
            cls = self.resolve(v["__class__"], "parameter")
            from sklearn.base import BaseEstimator

            spec = v["__class__"]
            passed = f"{spec['module']}.{spec['qualname']}" in self.classes
            if not (
                passed
                or cls.__module__.split(".")[0] == "alviz"
                or issubclass(cls, BaseEstimator)
                or (_is_module_class(cls))
            ):
                raise SessionFileError(
                    f"the file's parameter is the class {cls.__module__}.{cls.__qualname__}, which is neither "
                    "an estimator nor a torch module; pass it yourself (classes=[...]) if you mean it"
                )
            return cls
        if tag == "__generator__":
            state = self.decode(v["__generator__"])
            kinds = {
                "PCG64": np.random.PCG64,
                "PCG64DXSM": np.random.PCG64DXSM,
                "Philox": np.random.Philox,
                "SFC64": np.random.SFC64,
                "MT19937": np.random.MT19937,
            }
            bitgen = kinds[state["bit_generator"]]()
            bitgen.state = state
            return np.random.Generator(bitgen)
        if tag == "__tensor__":
            import torch

            return torch.as_tensor(self.array(v["__tensor__"]).copy())
        if tag == "__dataclass__":
            cls = self.resolve(v["__dataclass__"], "record", alviz_only=True)
            if not dataclasses.is_dataclass(cls):
                raise SessionFileError(f"the file's record class {cls.__qualname__} is not a dataclass")
            values = {k: self.decode(x) for k, x in v["fields"].items()}
            known = {f.name: f for f in dataclasses.fields(cls)}
            unknown = sorted(set(values) - set(known))
            if unknown:
                raise SessionFileError(
                    f"the file's {cls.__qualname__} records have fields {unknown} this alviz does not know; "
                    "upgrade alviz"
                )
            obj = cls(**{k: x for k, x in values.items() if known[k].init})
            for k, x in values.items():
                if not known[k].init:
                    setattr(obj, k, x)
            return obj
        if tag == "__strategy__":
            from .strategies import Strategy
            from .strategies.base import _REGISTRY

            name = v["__strategy__"]
            cls = _REGISTRY.get(name)
            if cls is None or _class_path(cls) != v["class"]:
                cls = self.resolve(v["class"], "strategy", Strategy)
            return cls(**self.decode(v["params"]))
        if tag == "__estimator__":
            return self.estimator(v)
        if tag == "__object__":
            cls = self.resolve(v["__object__"], "object", alviz_only=True)
            return cls(**self.decode(v["params"]))
        raise SessionFileError(f"unknown value tag {tag!r} in the manifest; upgrade alviz")

    def estimator(self, v):
        from sklearn.base import BaseEstimator

        cls = self.resolve(v["__estimator__"], "model", BaseEstimator)
        est = cls(**self.decode(v["params"]))
        fitted = v.get("fitted")
        if fitted is None:
            return est
        if fitted == "refit":
            self.refit = True
            return _NeedsRefit(est)
        attrs = self.decode(fitted["attrs"]) if "network" not in fitted else {}
        if "network" in fitted:
            import torch

            raw = fitted["attrs"]["__dict__"]
            plain = {
                k: self.decode(x)
                for k, x in raw.items()
                if not (isinstance(x, dict) and ({"__submodule__", "__device__"} & set(x)))
            }
            for k, x in plain.items():
                setattr(est, k, x)
            with torch.random.fork_rng(devices=[]):  # building layers draws init weights; the state replaces them
                net = est._build(tuple(plain["input_shape_"]), int(plain["n_classes_"]))
            state = {k: torch.as_tensor(self.array(a).copy()) for k, a in fitted["network"]["__dict__"].items()}
            _load_weights(net, state, type(est).__name__)
            device = "cpu"
            for k, x in raw.items():
                if isinstance(x, dict) and "__device__" in x:
                    device = (
                        x["__device__"]
                        if (not x["__device__"].startswith("cuda") or torch.cuda.is_available())
                        else "cpu"
                    )
                    setattr(est, k, torch.device(device))
            net = net.to(device)
            net.eval()
            est.network_ = net
            modules = dict(net.named_modules())
            for k, x in raw.items():
                if isinstance(x, dict) and "__submodule__" in x:
                    setattr(est, k, modules[x["__submodule__"]])
            return est
        for k, x in attrs.items():
            setattr(est, k, x)
        return est


class _NeedsRefit:
    """Placeholder for a fitted model whose state is not data: the loader refits it."""

    def __init__(self, template):
        self.template = template


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    return v


def _refit_last_model(session):
    """The model of the last round, fitted again exactly as that round fitted it (:meth:`Session.refit`)."""
    return session.refit() if session.rounds else None


def _load_weights(net, state: dict, owner: str) -> None:
    """Put the file's weights into ``net``, or a :class:`SessionFileError` naming the layers that differ."""
    mine = net.state_dict()
    missing = sorted(set(mine) - set(state))
    extra = sorted(set(state) - set(mine))
    shapes = [
        f"{k}: {tuple(state[k].shape)} in the file, {tuple(mine[k].shape)} now"
        for k in mine
        if k in state and tuple(state[k].shape) != tuple(mine[k].shape)
    ]
    if missing or extra or shapes:
        what = "; ".join(
            shapes[:4]
            + ([f"layers only the file has: {', '.join(extra[:4])}"] if extra else [])
            + ([f"layers only the class has now: {', '.join(missing[:4])}"] if missing else [])
        )
        raise SessionFileError(
            f"the {owner}'s network in the file does not fit the one {type(net).__name__} builds now ({what}): "
            "the class passed in (or imported) has the same name but another shape. Pass the class the session "
            "was saved with (Session.load(path, classes=[...])), with the same layer sizes"
        )
    net.load_state_dict(state)


def _class_map(classes) -> Dict[str, type]:
    if classes is None:
        return {}
    if isinstance(classes, type):
        raise TypeError(
            f"classes must be a list of classes, got the class {classes.__qualname__} itself; "
            f"write classes=[{classes.__qualname__}]"
        )
    if isinstance(classes, (str, bytes)) or not (isinstance(classes, Mapping) or hasattr(classes, "__iter__")):
        raise TypeError(
            f"classes must be a list of classes (e.g. classes=[MyNet]) or a mapping of class path to "
            f"class, got {type(classes).__name__} {classes!r}"
        )
    if isinstance(classes, Mapping):
        items = list(classes.items())
    else:
        items = []
        for c in classes:
            if not isinstance(c, type):
                raise TypeError(
                    f"classes must hold classes (e.g. classes=[MyNet]), and it holds "
                    f"{type(c).__name__} {c!r}; pass the class itself, not an instance or a name"
                )
            items.append((f"{c.__module__}.{c.__qualname__}", c))
    out = {}
    for key, cls in items:
        if not isinstance(cls, type):
            raise TypeError(f"classes must map a class path to a class, got {key!r}: {cls!r}")
        out[str(key)] = cls
        out.setdefault(f"{cls.__module__}.{cls.__qualname__}", cls)
    return out


def _read_v1(manifest: dict, arrays, classes, session_cls, store=None):
    reader = _Reader(arrays, classes)
    state = manifest["state"]
    if not isinstance(state, dict):
        raise SessionFileError("the manifest holds no session state")
    values = {}
    for k, x in state.items():
        reader.lazy = k in ("rounds", "pending")  # only the rounds' large arrays may stay memory-mapped
        values[k] = reader.decode(x)
    reader.lazy = False
    refit = isinstance(values.get("model"), _NeedsRefit)
    if refit:
        values["model"] = None
    try:
        session = session_cls.from_state(values, spill=store)
    except ValueError as exc:
        raise SessionFileError(f"the manifest's {exc}") from None
    if refit:
        session.model = _refit_last_model(session)
    return session


#: a reader for every format version this alviz knows
_READERS = {1: _read_v1}


def load_session(path, classes=None, allow_pickle: bool = False, session_cls=None):
    """Read a session file; see :meth:`alviz.Session.load`."""
    if session_cls is None:
        raise TypeError("load_session needs session_cls (alviz.Session.load passes it)")
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(len(PICKLE_MAGIC))
        if head.startswith(PICKLE_MAGIC) or not head.startswith(_ZIP_MAGIC):
            data = head + f.read()
        else:
            return _load_zip(path, f, classes, session_cls)
    if data.startswith(PICKLE_MAGIC):
        if not allow_pickle:
            raise SessionFileError(
                f"{path} is an alviz session file in the old pickle format, which can run code when opened, "
                "so it is not read. If you saved it yourself, open it once with "
                "alviz.Session.load(path, allow_pickle=True) (never for a file from someone else) and save "
                "it again to convert it; otherwise re-create it by running the session again (same dataset, "
                "strategy, initial, budget and seed give the same rounds)"
            )
        return _load_pickle(path, data, session_cls)
    raise SessionFileError(f"{path} is not an alviz session file (made by Session.save)")


def _load_zip(path: Path, f, classes, session_cls):
    """A session from the open zip session file ``f``: large arrays load lazily (:func:`_load_entries`)."""
    from ._spill import SpillStore

    class_map = _class_map(classes)
    store = SpillStore()
    f.seek(0)
    try:
        manifest, zf = _read_archive(f)
        version = manifest.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise _Corrupt(f"its format version {version!r} is not valid")
        if version > FORMAT_VERSION:
            raise SessionFileError(
                f"{path} has session format version {version}, newer than this alviz reads (up to "
                f"{FORMAT_VERSION}); upgrade alviz (pip install -U alviz) to open it"
            )
        arrays = _load_entries(manifest, zf, store)
    except SessionFileError:
        raise
    except _Corrupt as exc:
        raise SessionFileError(f"{path} is corrupted: {exc}; save the session again, or re-run it") from None
    except Exception as exc:  # noqa: BLE001 - any failure to parse these bytes means a damaged file
        raise SessionFileError(
            f"{path} is corrupted or truncated and cannot be loaded ({type(exc).__name__}: {exc}); "
            "save the session again, or re-run it"
        ) from None
    reader = _READERS.get(version)
    if reader is None:
        raise SessionFileError(f"{path} has session format version {version}, which this alviz cannot read")
    try:
        return reader(manifest, arrays, class_map, session_cls, store)  # the mapped arrays' folder goes along
    except SessionFileError:
        raise
    except (KeyError, TypeError, IndexError, AttributeError, ValueError) as exc:
        raise SessionFileError(
            f"{path} passed its checksums but does not describe a session this alviz can rebuild "
            f"({type(exc).__name__}: {exc})"
        ) from exc


def _load_pickle(path: Path, data: bytes, session_cls):
    """The old format, for one's own files only (``allow_pickle=True``): a pickle runs code when read."""
    import pickle

    rest = data[len(PICKLE_MAGIC) :]
    nl = rest.find(b"\n")
    header = rest[:nl].decode(errors="replace") if nl >= 0 else "?"
    _version, _, check = header.partition(" ")
    payload = rest[nl + 1 :]
    if not check.startswith("sha256=") or _sha256(payload) != check[len("sha256=") :]:
        raise SessionFileError(
            f"{path} is corrupted or truncated: its content does not match the checksum written when it "
            "was saved; re-run the session"
        )
    try:
        state = pickle.loads(payload)
    except Exception as exc:  # noqa: BLE001 - the caller chose to unpickle; any failure is a bad file
        raise SessionFileError(f"{path} is corrupted and cannot be loaded ({type(exc).__name__})") from None
    if not isinstance(state, dict) or "dataset" not in state:
        raise SessionFileError(f"{path} is corrupted: it holds no session state")
    return session_cls.from_state(state)
