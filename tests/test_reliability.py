"""Reliability: concurrent cache writers, corrupt cache entries, download integrity and atomic saves.

Nothing here touches the internet: downloads come from a loopback ``http.server`` serving files
generated in ``tmp_path`` (or read in place from the open-data bundle, never copied into the repo).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo import cache
from geo._errors import DataSourceError

CTX = mp.get_context("spawn")  # clean interpreters: no inherited locks or lru caches


def _temp_leftovers(folder: Path) -> list[str]:
    """Hidden temporary files written by geo.cache.atomic_path (any naming scheme)."""
    return [p.name for p in Path(folder).rglob(".*") if ".tmp" in p.name]


# -- helpers run in child processes (module level so "spawn" can import them) ----------------

def _build_npz_entry(path: str, barrier, seed: int, out_q) -> None:
    """Build the same cache entry as every other worker, released together by ``barrier``."""
    def build() -> dict[str, np.ndarray]:
        time.sleep(0.05 * seed)  # stagger the builds so renames interleave
        rng = np.random.default_rng(7)  # same content in every process
        return {"a": rng.random(200_000), "b": np.arange(50_000, dtype=np.int64)}

    barrier.wait(timeout=60)
    arrays = cache.cached_npz(Path(path), build)
    out_q.put((seed, hashlib.sha256(arrays["a"].tobytes() + arrays["b"].tobytes()).hexdigest()))


def _hammer_bytes(path: str, barrier, payload_byte: int, rounds: int) -> None:
    """Overwrite ``path`` atomically many times with a 2 MB payload of one byte value."""
    data = bytes([payload_byte]) * 2_000_000
    barrier.wait(timeout=60)
    for _ in range(rounds):
        cache.atomic_write_bytes(data, Path(path))


def _write_parquet_entry(path: str, barrier, out_q) -> None:
    df = pd.DataFrame({"lsoa21cd": [f"E01{i:06d}" for i in range(20_000)], "minutes": np.arange(20_000) / 3})
    barrier.wait(timeout=60)
    for _ in range(5):
        cache.atomic_write_parquet(df, Path(path))
    got = cache.read_parquet_or_none(Path(path))
    out_q.put(None if got is None else len(got))


def _join_all(procs: list, timeout: float = 120) -> None:
    for p in procs:
        p.join(timeout)
    for p in procs:
        if p.is_alive():
            p.kill()
            pytest.fail("a worker process hung")
        assert p.exitcode == 0, f"worker exited with {p.exitcode}"


# -- (a) concurrent builders of one cache entry ----------------------------------------------

def test_two_processes_build_same_npz_entry(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "entry.npz"
    barrier, q = CTX.Barrier(2), CTX.Queue()
    procs = [CTX.Process(target=_build_npz_entry, args=(str(target), barrier, i, q)) for i in range(2)]
    for p in procs:
        p.start()
    _join_all(procs)
    digests = {q.get(timeout=10)[1] for _ in procs}
    assert len(digests) == 1, "the two processes saw different content"
    with np.load(target, allow_pickle=False) as npz:  # the file left behind is complete and valid
        on_disk = hashlib.sha256(npz["a"].tobytes() + npz["b"].tobytes()).hexdigest()
    assert on_disk in digests
    assert not _temp_leftovers(target.parent), "temporary files left behind"


def test_many_processes_build_same_npz_entry(tmp_path: Path) -> None:
    target = tmp_path / "entry.npz"
    n = 6
    barrier, q = CTX.Barrier(n), CTX.Queue()
    procs = [CTX.Process(target=_build_npz_entry, args=(str(target), barrier, i, q)) for i in range(n)]
    for p in procs:
        p.start()
    _join_all(procs)
    assert len({q.get(timeout=10)[1] for _ in procs}) == 1
    assert not _temp_leftovers(tmp_path)


def test_concurrent_atomic_overwrites_never_expose_a_torn_file(tmp_path: Path) -> None:
    """Readers only ever see one writer's complete payload, never a mix or a partial file."""
    target = tmp_path / "blob.bin"
    cache.atomic_write_bytes(b"\x00" * 2_000_000, target)
    barrier = CTX.Barrier(3)
    procs = [CTX.Process(target=_hammer_bytes, args=(str(target), barrier, b, 15)) for b in (1, 2, 3)]
    for p in procs:
        p.start()
    seen: set[int] = set()
    while any(p.is_alive() for p in procs):
        data = target.read_bytes()
        assert len(data) == 2_000_000, f"torn read: {len(data)} bytes"
        assert data.count(data[:1]) == len(data), "mixed payloads in one read"
        seen.add(data[0])
    _join_all(procs)
    final = target.read_bytes()
    assert len(final) == 2_000_000 and final[0] in {1, 2, 3} and final.count(final[:1]) == len(final)
    assert not _temp_leftovers(tmp_path)


def test_concurrent_parquet_writers(tmp_path: Path) -> None:
    target = tmp_path / "table.parquet"
    barrier, q = CTX.Barrier(3), CTX.Queue()
    procs = [CTX.Process(target=_write_parquet_entry, args=(str(target), barrier, q)) for _ in range(3)]
    for p in procs:
        p.start()
    _join_all(procs)
    assert [q.get(timeout=10) for _ in procs] == [20_000] * 3
    assert len(pd.read_parquet(target)) == 20_000
    assert not _temp_leftovers(tmp_path)


# -- (b) corrupt cache entries are detected and rebuilt ---------------------------------------

def _arrays() -> dict[str, np.ndarray]:
    return {"x": np.arange(1000, dtype=np.float64), "y": np.ones(10, dtype=np.int32)}


@pytest.mark.parametrize("damage", ["truncate-half", "truncate-10", "zero-bytes", "garbage", "text",
                                    "pickle-object-array"])
def test_corrupt_npz_is_rebuilt(tmp_path: Path, damage: str) -> None:
    target = tmp_path / "c" / "net.npz"
    calls = []

    def build() -> dict[str, np.ndarray]:
        calls.append(1)
        return _arrays()

    cache.cached_npz(target, build)
    good = target.read_bytes()
    if damage == "truncate-half":
        target.write_bytes(good[: len(good) // 2])
    elif damage == "truncate-10":
        target.write_bytes(good[:10])
    elif damage == "zero-bytes":
        target.write_bytes(b"")
    elif damage == "garbage":
        target.write_bytes(bytes(range(256)) * 20)
    elif damage == "text":
        target.write_text("not an npz")
    else:  # an npz that needs pickle: must never be loaded (allow_pickle=False), so rebuilt
        with target.open("wb") as fh:
            np.savez(fh, x=np.array([{"evil": 1}], dtype=object))
    out = cache.cached_npz(target, build)
    assert len(calls) == 2, "the corrupt entry was not rebuilt"
    np.testing.assert_array_equal(out["x"], _arrays()["x"])
    with np.load(target, allow_pickle=False) as npz:  # rebuilt file is valid again
        np.testing.assert_array_equal(npz["y"], _arrays()["y"])
    # and the next call is a cache hit
    cache.cached_npz(target, build)
    assert len(calls) == 2


@pytest.mark.parametrize("damage", ["truncate-half", "zero-bytes", "garbage", "footer-only"])
def test_corrupt_parquet_is_dropped(tmp_path: Path, damage: str) -> None:
    target = tmp_path / "pc.parquet"
    df = pd.DataFrame({"pcd": ["LE15 6HP", "NN1 1AA"], "easting": [486331.0, 475000.0]})
    cache.atomic_write_parquet(df, target)
    pd.testing.assert_frame_equal(cache.read_parquet_or_none(target), df)
    good = target.read_bytes()
    target.write_bytes({"truncate-half": good[: len(good) // 2], "zero-bytes": b"",
                        "garbage": os.urandom(512), "footer-only": good[-12:]}[damage])
    assert cache.read_parquet_or_none(target) is None
    assert not target.exists(), "the corrupt entry was left in place"
    cache.atomic_write_parquet(df, target)  # rebuilt by the caller
    pd.testing.assert_frame_equal(cache.read_parquet_or_none(target), df)


def test_corrupt_postcode_cache_is_rebuilt(settings, tmp_path: Path) -> None:
    """The real postcode table: truncate its parquet cache entry, load again, get the same table."""
    from geo.data import loaders

    s = settings.with_(cache_dir=tmp_path / "cache")
    loaders._load_postcodes_cached.cache_clear()
    first = loaders.load_postcodes(s)
    entries = list((tmp_path / "cache").rglob("*.parquet"))
    assert entries, "postcodes were not cached as parquet"
    for e in entries:
        e.write_bytes(e.read_bytes()[:1000])
    loaders._load_postcodes_cached.cache_clear()
    again = loaders.load_postcodes(s)
    assert len(again) == len(first)
    assert pd.read_parquet(entries[0]).shape[0] == len(first)  # rebuilt on disk
    loaders._load_postcodes_cached.cache_clear()


def test_corrupt_network_cache_is_rebuilt(settings, rutland_pbf: Path, tmp_path: Path) -> None:
    network = pytest.importorskip("geo.travel.network")
    s = settings.with_(cache_dir=tmp_path / "cache")
    first = network.read_network(rutland_pbf, mode="drive", settings=s)
    entries = list((tmp_path / "cache" / "networks").glob("*.npz"))
    assert len(entries) == 1
    entries[0].write_bytes(entries[0].read_bytes()[:4096])
    again = network.read_network(rutland_pbf, mode="drive", settings=s)
    assert (again.n_nodes, again.n_edges) == (first.n_nodes, first.n_edges)
    with np.load(entries[0], allow_pickle=False):
        pass


# -- (c) download integrity (loopback mirror) -------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server serving ``tmp_path/mirror``; yields (base_url, folder)."""
    root = tmp_path / "mirror"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tiny_dataset(monkeypatch: pytest.MonkeyPatch):
    """Register a small synthetic dataset with a known SHA-256 (the registry is restored after)."""
    from geo.data import sources

    content = b"lsoa21cd,value\nE01000001,1\nE01000002,2\n"
    ds = sources.Dataset("test_tiny", "tables/test_tiny.csv", "Reliability test table", "geo tests",
                         "https://example.invalid/", sources.OGL, "2026", hashlib.sha256(content).hexdigest(), 2,
                         ("lsoa21cd", "value"))
    monkeypatch.setitem(sources.DATASETS, ds.key, ds)
    return ds, content


def _serve(root: Path, relpath: str, data: bytes) -> None:
    p = root / relpath
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)


def test_fetch_accepts_a_good_file(mirror, tiny_dataset, tmp_path: Path) -> None:
    from geo.data.sources import fetch_dataset, verify_checksum

    base, root = mirror
    ds, content = tiny_dataset
    _serve(root, ds.relpath, content)
    data_dir = tmp_path / "data"
    out = fetch_dataset(ds.key, data_dir, base_url=base, progress=False)
    assert out == ds.path(data_dir)
    assert out.read_bytes() == content
    assert verify_checksum(ds.key, data_dir)
    assert not [p for p in out.parent.iterdir() if p != out], "download left temporary files"


def test_fetch_via_geo_data_url(mirror, tiny_dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from geo.data.sources import fetch_dataset

    base, root = mirror
    ds, content = tiny_dataset
    _serve(root, ds.relpath, content)
    monkeypatch.setenv("GEO_DATA_URL", base + "/")
    assert fetch_dataset(ds.key, tmp_path / "d", progress=False).read_bytes() == content


@pytest.mark.parametrize("tamper", ["one-byte-changed", "truncated", "appended", "html-error-page", "empty"])
def test_fetch_refuses_a_tampered_file(mirror, tiny_dataset, tmp_path: Path, tamper: str) -> None:
    from geo.data.sources import fetch_dataset

    base, root = mirror
    ds, content = tiny_dataset
    bad = {"one-byte-changed": content.replace(b"2\n", b"3\n"), "truncated": content[:-5],
           "appended": content + b"E01000003,3\n", "html-error-page": b"<html>gateway timeout</html>",
           "empty": b""}[tamper]
    _serve(root, ds.relpath, bad)
    data_dir = tmp_path / "data"
    with pytest.raises(DataSourceError) as info:
        fetch_dataset(ds.key, data_dir, base_url=base, progress=False)
    msg = str(info.value)
    assert ds.relpath in msg or ds.key in msg, msg
    assert "SHA-256" in msg and ds.sha256 in msg, msg
    assert "refused" in msg and "GEO_DATA_URL" in msg, msg
    target = ds.path(data_dir)
    assert not target.exists(), "a tampered download was left in place"
    assert not list(target.parent.glob("*")) if target.parent.exists() else True


def test_fetch_tampered_replaces_nothing_and_removes_bad_local_copy(mirror, tiny_dataset, tmp_path: Path) -> None:
    """A local copy that fails its checksum is not kept as if valid when the re-download also fails."""
    from geo.data.sources import fetch_dataset, verify_checksum

    base, root = mirror
    ds, content = tiny_dataset
    data_dir = tmp_path / "data"
    _serve(data_dir, ds.relpath, b"locally edited\n")  # stale/tampered local copy
    _serve(root, ds.relpath, b"tampered on the mirror\n")
    with pytest.raises(DataSourceError, match="SHA-256"):
        fetch_dataset(ds.key, data_dir, base_url=base, progress=False)
    target = ds.path(data_dir)
    assert not target.exists() or verify_checksum(ds.key, data_dir), "an invalid file is still in place"
    # a good mirror afterwards repairs it
    _serve(root, ds.relpath, content)
    fetch_dataset(ds.key, data_dir, base_url=base, progress=False)
    assert verify_checksum(ds.key, data_dir)


def test_fetch_keeps_a_valid_local_copy_when_the_mirror_is_tampered(mirror, tiny_dataset, tmp_path: Path) -> None:
    from geo.data.sources import fetch_dataset

    base, root = mirror
    ds, content = tiny_dataset
    data_dir = tmp_path / "data"
    _serve(data_dir, ds.relpath, content)  # already valid: no download needed at all
    _serve(root, ds.relpath, b"tampered\n")
    assert fetch_dataset(ds.key, data_dir, base_url=base, progress=False).read_bytes() == content


def test_fetch_missing_on_mirror_is_a_clear_error(mirror, tiny_dataset, tmp_path: Path) -> None:
    from geo.data.sources import fetch_dataset

    base, _root = mirror
    ds, _content = tiny_dataset
    with pytest.raises(DataSourceError, match=r"could not download .*test_tiny\.csv"):
        fetch_dataset(ds.key, tmp_path / "data", base_url=base, progress=False)
    assert not ds.path(tmp_path / "data").exists()


def test_fetch_real_bundle_file_from_loopback_mirror(mirror, settings, tmp_path: Path) -> None:
    """A real registry entry: serve the bundle file (good) and a one-byte-altered copy (tampered)."""
    from geo.data.sources import fetch_dataset, get_dataset, verify_checksum

    ds = get_dataset("drug_deaths_national")
    src = ds.path(settings.data_dir)
    if not src.is_file():
        pytest.skip("bundle file missing")
    base, root = mirror
    real = src.read_bytes()
    _serve(root, ds.relpath, real[:-1] + (b"0" if real[-1:] != b"0" else b"1"))
    with pytest.raises(DataSourceError, match=ds.sha256):
        fetch_dataset(ds.key, tmp_path / "data", base_url=base, progress=False)
    assert not ds.path(tmp_path / "data").exists()
    _serve(root, ds.relpath, real)
    fetch_dataset(ds.key, tmp_path / "data", base_url=base, progress=False)
    assert verify_checksum(ds.key, tmp_path / "data")


# -- (d) saving over an existing file is atomic -----------------------------------------------

def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    cache.atomic_write_text("old,content\n1,2\n", target)

    class Boom(RuntimeError):
        pass

    with pytest.raises(Boom), cache.atomic_path(target) as tmp:
        with tmp.open("wb") as fh:
            fh.write(b"new,half")
            fh.flush()
        raise Boom
    assert target.read_text() == "old,content\n1,2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"], "temporary file left behind"


def test_failed_parquet_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "od.parquet"
    old = pd.DataFrame({"origin": [1, 2], "minutes": [3.0, 4.0]})
    cache.atomic_write_parquet(old, target)
    bad = pd.DataFrame({"origin": [1, "x", object()]})  # pyarrow cannot convert this column
    with pytest.raises(Exception):  # noqa: B017 - any pyarrow error
        cache.atomic_write_parquet(bad, target)
    pd.testing.assert_frame_equal(pd.read_parquet(target), old)
    assert [p.name for p in tmp_path.iterdir()] == ["od.parquet"]


def test_failed_npz_build_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "net.npz"

    def build() -> dict[str, np.ndarray]:
        msg = "build failed"
        raise RuntimeError(msg)

    with pytest.raises(RuntimeError, match="build failed"):
        cache.cached_npz(target, build)
    assert list(tmp_path.iterdir()) == []


def test_disk_full_during_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "blob.bin"
    cache.atomic_write_bytes(b"old" * 1000, target)

    def fail_fsync(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail_fsync)
    with pytest.raises(OSError, match="disk is full|No space"):
        cache.atomic_write_bytes(b"new" * 100_000, target)
    monkeypatch.undo()
    assert target.read_bytes() == b"old" * 1000
    assert [p.name for p in tmp_path.iterdir()] == ["blob.bin"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_killed_writer_keeps_the_old_file(tmp_path: Path) -> None:
    """SIGKILL a process in the middle of a large atomic write: the old file survives intact."""
    target = tmp_path / "big.bin"
    cache.atomic_write_bytes(b"A" * 1_000_000, target)
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from geo.cache import atomic_path
        with atomic_path(Path({str(target)!r})) as tmp:
            with tmp.open("wb") as fh:
                for _ in range(10_000):
                    fh.write(b"B" * 100_000)
                    fh.flush()
                    print("writing", flush=True)
                    time.sleep(0.01)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, cwd=Path(__file__).parents[1])
    assert proc.stdout is not None
    for _ in range(5):
        assert proc.stdout.readline().startswith(b"writing")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert target.read_bytes() == b"A" * 1_000_000
    # the orphaned temp file (if any) is hidden and never read as the entry
    others = [p.name for p in tmp_path.iterdir() if p != target]
    assert all(n.startswith(".big") and ".tmp" in n for n in others), others
