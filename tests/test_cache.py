"""The disk cache can be trusted and kept small: concurrent writers, broken entries, a size limit, an unusable
folder, a full disk, and ``alviz cache info|clear`` (issue 21)."""
from __future__ import annotations

import errno
import multiprocessing
import os
import warnings

import numpy as np
import pytest

from alviz import _cache, cli
from alviz._cache import (
    CacheWarning,
    cached_arrays,
    read_entry,
    read_npy,
    write_entry,
    write_npy,
)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ALVIZ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ALVIZ_CACHE_MAX_MB", raising=False)
    monkeypatch.setattr(_cache, "_fallback", {})
    return tmp_path / "cache"


def _value(tag: str) -> dict:
    rng = np.random.default_rng(abs(hash(tag)) % 2**32 if tag != "same" else 0)
    return {"a": rng.standard_normal((256, 256)).astype(np.float32), "tag": tag, "state": {"w": np.arange(5)}}


def _writer(args):
    """One process: write the shared entry and its own, many times over, reading them back between writes."""
    i, root = args
    os.environ["ALVIZ_CACHE_DIR"] = root
    bad = 0
    for j in range(12):
        for tag in ("same", f"own{i}", f"own{(i + 1) % 4}"):
            out = cached_arrays("conc", tag, lambda tag=tag: _value(tag))
            bad += int(out["tag"] != tag)
            if j % 3 == 0:  # a fresh writer's entry replacing the one another process just wrote
                write_npy(_cache.cache_dir("conc") / f"{tag}.npy", _value(tag)["a"])
    return bad


def test_concurrent_writers_leave_valid_entries_only(cache):
    ctx = multiprocessing.get_context("fork")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork in a process with threads (torch)
        with ctx.Pool(4) as pool:
            bad = pool.map(_writer, [(i, str(cache)) for i in range(4)])
    assert bad == [0, 0, 0, 0]
    files = sorted(p.name for p in (cache / "conc").iterdir())
    assert files == sorted([f"{t}.npz" for t in ("same", "own0", "own1", "own2", "own3")]
                           + [f"{t}.npy" for t in ("same", "own0", "own1", "own2", "own3")])  # no temp files left
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)  # every entry intact: no broken one found
        for tag in ("same", "own0", "own1", "own2", "own3"):
            got = cached_arrays("conc", tag, lambda: pytest.fail("an intact entry was recomputed"))
            np.testing.assert_array_equal(got["a"], _value(tag)["a"])
            np.testing.assert_array_equal(read_npy(cache / "conc" / f"{tag}.npy"), _value(tag)["a"])


def _damage(path, how):
    raw = path.read_bytes()
    if how == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif how == "bit flip":
        i = len(raw) // 2
        path.write_bytes(raw[:i] + bytes([raw[i] ^ 0x10]) + raw[i + 1:])
    elif how == "empty":
        path.write_bytes(b"")
    else:  # an entry of an older alviz: the payload without its checksum
        path.write_bytes(raw[:-40])


@pytest.mark.parametrize("how", ["truncated", "bit flip", "empty", "no checksum"])
def test_a_broken_entry_of_any_kind_is_detected_recomputed_and_replaced(cache, how):
    calls = []

    def compute():
        calls.append(1)
        return _value("x")
    cached_arrays("enc", "k", compute)
    arr = np.arange(1000, dtype=np.float64).reshape(100, 10)
    npy, js = _cache.cache_dir("projection") / "p.npy", _cache.cache_dir("projection") / "p.json"
    write_npy(npy, arr)
    write_entry(js, b'{"seed": 3}')
    for path in (_cache.cache_dir("enc") / "k.npz", npy, js):
        _damage(path, how)
    with pytest.warns(CacheWarning, match="k.npz is broken"):
        again = cached_arrays("enc", "k", compute)
    assert len(calls) == 2 and np.array_equal(again["a"], _value("x")["a"])
    with pytest.warns(CacheWarning, match="p.npy is broken"):
        assert read_npy(npy, (100, 10)) is None and not npy.exists()
    with pytest.warns(CacheWarning, match="p.json is broken"):
        assert read_entry(js) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        assert cached_arrays("enc", "k", compute)["tag"] == "x" and len(calls) == 2  # replaced: intact now


def test_a_projection_entry_that_is_broken_is_refitted_with_a_warning(cache, monkeypatch):
    from alviz import projection

    X = np.random.default_rng(0).standard_normal((40, 3)).astype(np.float32)
    fits = []

    def fake_umap(F, params, init):
        fits.append(1)
        return F[:, :2].copy()
    monkeypatch.setattr(projection, "_run_umap", fake_umap)
    a = projection.fit(X, n_neighbors=5)
    (entry,) = [p for p in (cache / "projection").glob("*.npy")]
    _damage(entry, "bit flip")
    with pytest.warns(CacheWarning, match="broken"):
        b = projection.fit(X, n_neighbors=5)
    assert len(fits) == 2 and np.array_equal(np.asarray(a), np.asarray(b))
    assert read_npy(entry, (40, 2)) is not None


def test_the_size_limit_evicts_the_least_recently_used(cache, monkeypatch):
    monkeypatch.setenv("ALVIZ_CACHE_MAX_MB", str(50_000 / 2**20))  # 50 kB: room for four 12 kB entries
    d = _cache.cache_dir("s")
    blob = bytes(12_000)
    for t, name in enumerate("abcd"):
        assert write_entry(d / name, blob)
        os.utime(d / name, (1_000_000 + t, 1_000_000 + t))  # a, b, c, d: oldest first
    assert read_entry(d / "a") == blob  # a read makes "a" the most recently used
    assert write_entry(d / "e", blob)  # over the limit: the least recently used ("b") goes
    assert sorted(p.name for p in d.iterdir()) == ["a", "c", "d", "e"]
    assert write_entry(d / "f", blob)
    assert sorted(p.name for p in d.iterdir()) == ["a", "d", "e", "f"]
    assert _cache.info()["bytes"] <= 50_000
    monkeypatch.setenv("ALVIZ_CACHE_MAX_MB", "0")  # keeps nothing but the entry just written
    assert write_entry(d / "g", blob) and sorted(p.name for p in d.iterdir()) == ["g"]
    monkeypatch.setenv("ALVIZ_CACHE_MAX_MB", "lots")
    with pytest.raises(ValueError, match="ALVIZ_CACHE_MAX_MB='lots' must be a number of megabytes"):
        _cache.max_bytes()
    with pytest.warns(CacheWarning, match="ALVIZ_CACHE_MAX_MB='lots'.*limit is not kept"):
        assert write_entry(d / "h", blob)  # the work goes on; the entry is written
    assert cli.main(["cache", "info"]) == 2  # the command says what is wrong
    assert _cache.DEFAULT_MAX_MB == 2048


def test_cache_info_and_clear_commands(cache, capsys):
    cached_arrays("enc", "k", lambda: _value("x"))
    write_npy(_cache.cache_dir("projection") / "p.npy", np.zeros((10, 2)))
    assert cli.main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert str(cache) in out and "2 entries" in out and "enc: 1 entries" in out and "2048.0 MB" in out
    assert cli.main(["cache", "clear"]) == 0
    assert "removed 2 entries" in capsys.readouterr().out
    assert _cache.info()["entries"] == 0 and cache.is_dir()
    assert cli.main(["cache", "info"]) == 0 and "0 entries" in capsys.readouterr().out


def test_an_unusable_cache_folder_falls_back_to_a_temporary_one(tmp_path, monkeypatch):
    monkeypatch.setattr(_cache, "_fallback", {})
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ALVIZ_CACHE_DIR", str(blocker / "cache"))  # cannot be created: a file is in the way
    with pytest.warns(CacheWarning, match="cannot be written; using the temporary folder"):
        d = _cache.cache_dir("enc")
    assert d.is_dir() and blocker not in d.parents
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)  # said once per process, not at every use
        out = cached_arrays("enc", "k", lambda: _value("x"))
        assert cached_arrays("enc", "k", lambda: pytest.fail("not cached"))["tag"] == out["tag"]
    assert _cache.info()["fallback"] is True


def test_a_full_disk_warns_and_carries_on_uncached(cache, monkeypatch):
    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(_cache, "atomic_write_bytes", full)
    calls = []
    with pytest.warns(CacheWarning, match="the disk is full"):
        out = cached_arrays("enc", "k", lambda: calls.append(1) or _value("x"))
    assert out["tag"] == "x" and calls == [1]
    assert not list((cache / "enc").iterdir())
    with pytest.warns(CacheWarning, match="the disk is full"):
        assert write_npy(cache / "enc" / "p.npy", np.zeros(3)) is False
