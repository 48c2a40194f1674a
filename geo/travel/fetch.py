"""Download OpenStreetMap extracts: checksum first, resumable, cached, and fast to fail offline.

:func:`fetch_extract` downloads one catalogue extract (:mod:`geo.travel.extracts`) into
``Settings.cache_dir / "osm"``:

1. the server is checked first (DNS and a TCP connect, each with a short timeout), so with no
   route to it the call fails in a few seconds with one line saying how to supply a
   ``.osm.pbf`` instead (``--network FILE.osm.pbf`` or ``GEO_OSM_MIRROR``);
2. the published ``<file>.md5`` is fetched, then the file itself through :func:`pooch.retrieve`
   with that checksum: pooch writes to a temporary file and renames it into the cache only when
   the checksum matches, so a tampered or truncated file is refused and never used;
3. the transfer goes through a ``.part`` file named after the checksum: a dropped connection is
   resumed with an HTTP ``Range`` request (the same call retries; a later call resumes a part
   left by an interrupted run); a part that fails the checksum is deleted, so the next attempt
   restarts cleanly;
4. a sidecar ``<file>.json`` records the checksum and size; a second fetch finds it and makes no
   request at all (``refresh=True`` asks the server for a newer file).

``GEO_OSM_MIRROR`` (``Settings.osm_mirror``) replaces ``https://download.geofabrik.de``: an
intranet HTTP mirror with the same layout, or a local folder holding the files and ``.md5``s.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

from geo._errors import DataSourceError, NetworkError
from geo.cache import atomic_path, atomic_write_text

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.progress import ProgressFn

GEOFABRIK = "https://download.geofabrik.de"


class Extract(Protocol):
    """What a download needs of a catalogue entry (:class:`geo.travel.extracts.Extract`)."""

    @property
    def slug(self) -> str:
        """Catalogue name."""

    @property
    def path(self) -> str:
        """Path below the mirror's base URL."""

    @property
    def filename(self) -> str:
        """File name on the server and in the cache."""
        ...

logger = logging.getLogger(__name__)

#: Seconds allowed for the DNS lookup and for the TCP connect of the reachability check.
CONNECT_TIMEOUT_SECONDS = 2.0
#: Seconds without data before a transfer counts as dropped (then resumed).
READ_TIMEOUT_SECONDS = 60.0
DOWNLOAD_ATTEMPTS = 4
CHUNK_BYTES = 1 << 16


def base_url(settings: Settings) -> str:
    """The mirror in use: ``Settings.osm_mirror`` or Geofabrik."""
    return (settings.osm_mirror or GEOFABRIK).rstrip("/")


def offline_hint(base: str) -> str:
    """How to go on without the server (appended to every connection error)."""
    return (f"cannot reach {base} to download OpenStreetMap roads; supply a .osm.pbf yourself "
            "(--network FILE.osm.pbf, e.g. from https://download.geofabrik.de on another machine) "
            "or set GEO_OSM_MIRROR to a local or intranet mirror")


def is_local(base: str) -> bool:
    """True when a mirror is a folder (a path or ``file://`` URL), not an HTTP server."""
    return _is_local(base)


def local_root(base: str) -> Path:
    """The folder of a local mirror."""
    return _local_root(base)


def _is_local(base: str) -> bool:
    parsed = urlparse(base)
    return parsed.scheme in {"", "file"} or (len(parsed.scheme) == 1 and base[1:2] == ":")


def _local_root(base: str) -> Path:
    parsed = urlparse(base)
    return Path(parsed.path if parsed.scheme == "file" else base).expanduser()


def check_reachable(base: str, *, timeout_seconds: float = CONNECT_TIMEOUT_SECONDS, hint: str | None = None) -> None:
    """Raise :class:`NetworkError` (one line) unless ``base`` answers a TCP connect quickly.

    The DNS lookup runs in a daemon thread so a hanging resolver cannot hold the caller for
    longer than ``timeout_seconds``; the connect has the same timeout.  ``hint`` replaces the
    OpenStreetMap advice (what to do without the server) for other downloads.
    """
    advice = hint if hint is not None else offline_hint(base)
    if _is_local(base):
        if not _local_root(base).is_dir():
            msg = f"mirror folder {_local_root(base)} does not exist; " + advice
            raise NetworkError(msg)
        return
    parsed = urlparse(base)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    found: list[Any] = []

    def resolve() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            found.append(exc)

    worker = threading.Thread(target=resolve, daemon=True)
    worker.start()
    worker.join(timeout_seconds)
    if not found or isinstance(found[0], OSError) or not found[0]:
        why = "DNS lookup timed out" if not found else f"DNS lookup failed: {found[0]}"
        msg = f"{advice} ({why})"
        raise NetworkError(msg)
    family, kind, proto, _, addr = found[0][0]
    try:
        with socket.socket(family, kind, proto) as sock:
            sock.settimeout(timeout_seconds)
            sock.connect(addr)
    except OSError as exc:
        msg = f"{advice} ({type(exc).__name__}: {exc})"
        raise NetworkError(msg) from None


#: Answers of :func:`is_reachable` (base -> (monotonic time, answer)), kept for a minute so an
#: offline app does not pay the check on every rerun.
_REACHABLE: dict[str, tuple[float, bool]] = {}
REACHABLE_TTL_SECONDS = 60.0


def is_reachable(base: str, *, timeout_seconds: float = CONNECT_TIMEOUT_SECONDS) -> bool:
    """True when :func:`check_reachable` passes (remembered for a minute)."""
    now = time.monotonic()
    known = _REACHABLE.get(base)
    if known is not None and now - known[0] < REACHABLE_TTL_SECONDS:
        return known[1]
    try:
        check_reachable(base, timeout_seconds=timeout_seconds)
        answer = True
    except NetworkError:
        answer = False
    _REACHABLE[base] = (now, answer)
    return answer


def cache_folder(settings: Settings) -> Path:
    """Where downloaded extracts live."""
    return settings.cache_dir / "osm"


def cached_extract(extract: Extract, settings: Settings) -> Path | None:
    """The cached file of ``extract`` if a complete, verified download is there."""
    target = cache_folder(settings) / extract.filename
    record = target.with_suffix(".json")
    if not (target.is_file() and record.is_file()):
        return None
    try:
        info = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    return target if info.get("bytes") == target.stat().st_size else None


def _md5_of(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while block := fh.read(CHUNK_BYTES):
            h.update(block)
    return h.hexdigest()


def _parse_md5(text: str, what: str) -> str:
    token = text.strip().split()[0].lower() if text.strip() else ""
    if len(token) != 32 or any(c not in "0123456789abcdef" for c in token):
        msg = f"{what}: not an MD5 checksum file; check the mirror serves Geofabrik's .md5 files"
        raise DataSourceError(msg)
    return token


class ResumingDownloader:
    """A pooch downloader that resumes a dropped transfer with HTTP ``Range`` requests.

    The bytes go to ``part`` (kept between attempts and between runs); when the whole file is
    there it is moved onto pooch's temporary output, which pooch checks against the checksum.
    """

    def __init__(self, *, part: Path, label: str, progress: ProgressFn | None = None,
                 attempts: int = DOWNLOAD_ATTEMPTS,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)) -> None:
        self.part = part
        self.label = label
        self.progress = progress
        self.attempts = attempts
        self.timeout = timeout
        self.requests = 0

    def __call__(self, url: str, output_file: str | Any, pooch: Any) -> None:
        """Download ``url`` to ``output_file`` (pooch's downloader protocol)."""
        import requests

        last: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            have = self.part.stat().st_size if self.part.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                self.requests += 1
                with requests.get(url, headers=headers, stream=True, timeout=self.timeout) as resp:
                    if resp.status_code == 416:  # part already complete or stale: start again
                        self.part.unlink(missing_ok=True)
                        continue
                    resp.raise_for_status()
                    resumed = have > 0 and resp.status_code == 206
                    start = have if resumed else 0
                    total = start + int(resp.headers.get("Content-Length", 0) or 0)
                    done = start
                    with self.part.open("ab" if resumed else "wb") as fh:
                        for chunk in resp.iter_content(CHUNK_BYTES):
                            fh.write(chunk)
                            done += len(chunk)
                            if self.progress is not None:
                                self.progress(done, max(total, done), self.label)
                    if total and done != total:
                        msg = f"transfer ended at {done} of {total} bytes"
                        raise OSError(msg)
                os.replace(self.part, output_file)
                return
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else "an error"
                msg = f"{url}: the server answered {status}; check the mirror has this file"
                raise NetworkError(msg) from None
            except (requests.ConnectionError, requests.Timeout, OSError) as exc:
                last = exc
                logger.warning("download of %s interrupted (%s); attempt %d of %d resumes it",
                               self.part.name, type(exc).__name__, attempt, self.attempts)
                time.sleep(min(attempt, 3) * 0.2)
        msg = (f"{url}: download failed after {self.attempts} attempts ({type(last).__name__}); "
               f"run the command again to resume it")
        raise NetworkError(msg)


def fetch_extract(extract: Extract, *, settings: Settings, progress: ProgressFn | None = None,
                  refresh: bool = False) -> Path:
    """The verified local copy of ``extract``, downloading it when needed.

    Parameters
    ----------
    extract : a catalogue entry (:data:`geo.travel.extracts.CATALOGUE`).
    settings : ``cache_dir`` and ``osm_mirror`` are used.
    progress : called as ``(bytes_done, bytes_total, label)`` while downloading.
    refresh : ask the server for a newer file even when a verified copy is cached.

    Raises
    ------
    NetworkError
        The server cannot be reached (within a few seconds) or the transfer keeps failing.
    DataSourceError
        The file does not match its published checksum (it is deleted, never used).
    """
    cached = cached_extract(extract, settings)
    if cached is not None and not refresh:
        logger.info("extract %s: using cached %s", extract.slug, cached)
        return cached
    base = base_url(settings)
    check_reachable(base)
    folder = cache_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / extract.filename
    if _is_local(base):
        md5 = _copy_from_folder(extract, _local_root(base), target, progress=progress)
    else:
        md5 = _download(extract, base, target, progress=progress, cached=cached)
    atomic_write_text(json.dumps({"md5": md5, "bytes": target.stat().st_size, "source": base,
                                  "path": extract.path, "fetched_unix": int(time.time())}),
                      target.with_suffix(".json"))
    return target


@contextlib.contextmanager
def pooch_logging() -> Iterator[None]:
    """pooch's own stderr logger follows ours: its download notes show only when INFO is on (``-v``)."""
    import pooch

    plog = pooch.get_logger()
    before = plog.level
    plog.setLevel(logging.INFO if logger.isEnabledFor(logging.INFO) else logging.WARNING)
    try:
        yield
    finally:
        plog.setLevel(before)


def _download(extract: Extract, base: str, target: Path, *, progress: ProgressFn | None,
              cached: Path | None) -> str:
    import pooch
    import requests

    url = f"{base}/{extract.path}"
    try:
        resp = requests.get(url + ".md5", timeout=(CONNECT_TIMEOUT_SECONDS, 30.0))
        resp.raise_for_status()
    except requests.RequestException as exc:
        msg = f"{url}.md5: cannot fetch the published checksum ({type(exc).__name__}); " + offline_hint(base)
        raise NetworkError(msg) from None
    md5 = _parse_md5(resp.text, f"{url}.md5")
    if cached is not None and json.loads(target.with_suffix(".json").read_text()).get("md5") == md5:
        logger.info("extract %s: cached copy is the newest (md5 %s)", extract.slug, md5)
        return md5
    part = target.parent / f".{extract.filename}.{md5}.part"
    for stale in target.parent.glob(f".{extract.filename}.*.part"):
        if stale != part:
            stale.unlink(missing_ok=True)  # a part of an older upstream file cannot be resumed
    downloader = ResumingDownloader(part=part, label=f"downloading {extract.filename}",
                                    progress=progress)
    target.with_suffix(".json").unlink(missing_ok=True)
    try:
        with pooch_logging():
            pooch.retrieve(url, known_hash=f"md5:{md5}", fname=target.name, path=target.parent,
                           downloader=downloader)
    except ValueError as exc:  # pooch: checksum mismatch; the temporary file is already gone
        part.unlink(missing_ok=True)
        msg = (f"{extract.filename} from {base} does not match its published MD5 {md5} "
               f"({exc}); it was deleted - run again to download it afresh")
        raise DataSourceError(msg) from None
    logger.info("extract %s: downloaded %s (%d bytes, %d request(s))", extract.slug, target,
                target.stat().st_size, downloader.requests)
    return md5


def _copy_from_folder(extract: Extract, root: Path, target: Path, *,
                      progress: ProgressFn | None) -> str:
    source = root / extract.path
    if not source.is_file():
        source = root / extract.filename
    md5_file = source.with_name(source.name + ".md5")
    if not source.is_file() or not md5_file.is_file():
        msg = (f"mirror folder {root} lacks {extract.path} and its .md5; copy both there "
               "(same layout as download.geofabrik.de, or flat)")
        raise DataSourceError(msg)
    md5 = _parse_md5(md5_file.read_text(), str(md5_file))
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
        if _md5_of(tmp) != md5:
            msg = f"{source} does not match its MD5 file {md5_file}; it was not copied"
            raise DataSourceError(msg)
    if progress is not None:
        size = target.stat().st_size
        progress(size, size, f"copied {extract.filename}")
    return md5


def remote_size_bytes(extract: Extract, settings: Settings) -> int | None:
    """Size of the extract on the server (HEAD request), or None when unknown/unreachable."""
    import requests

    base = base_url(settings)
    if _is_local(base):
        path = _local_root(base) / extract.path
        return path.stat().st_size if path.is_file() else None
    if not is_reachable(base):
        return None
    try:
        resp = requests.head(f"{base}/{extract.path}", timeout=(CONNECT_TIMEOUT_SECONDS, 10.0),
                             allow_redirects=True)
        return int(resp.headers["Content-Length"]) if resp.ok else None
    except (requests.RequestException, KeyError, ValueError):
        return None


__all__ = ["GEOFABRIK", "ResumingDownloader", "base_url", "cache_folder", "cached_extract", "check_reachable",
           "fetch_extract", "is_local", "is_reachable", "local_root", "offline_hint", "remote_size_bytes"]
