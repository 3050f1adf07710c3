"""Finding, verifying and downloading benchmark files.

Resolution order for ``<benchmark>/<file>``: an explicit data dir (``--metadata data_dir=…``) or ``RAIF_DATA_DIR``
(a folder laid out as ``<benchmark>/<file>``), then the user cache, then a download from the pinned upstream
commit. Every file is hash-checked before use; a mismatch is refused, never silently used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock
from tqdm.auto import tqdm

from raif_eval.data.registry import RAW_BASE, FileSpec, benchmark
from raif_eval.errors import DataError
from raif_eval.paths import cache_dir

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 20
_verified: dict[tuple[str, int, int], str] = {}


def data_dir(explicit: str | os.PathLike | None = None) -> Path | None:
    """The user-provided data folder, or None. A folder that was named but does not exist is an error."""
    value, origin = (explicit, "data_dir") if explicit else (os.environ.get("RAIF_DATA_DIR") or None, "RAIF_DATA_DIR")
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise DataError(
            f"{origin}={value} is not a directory; point it at a folder laid out as <benchmark>/<file> "
            f"(e.g. ../shared/benchmarks), or unset it and run `raif-eval data pull`"
        )
    return path


def download_cache() -> Path:
    return cache_dir() / "data"


def _digest(path: Path, spec: FileSpec) -> str:
    """The file's hash in the form the registry pins (sha256, or git blob id)."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key in _verified:
        return _verified[key]
    if spec.sha256:
        h = hashlib.sha256()
    else:
        h = hashlib.sha1()
        h.update(b"blob %d\0" % st.st_size)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    _verified[key] = h.hexdigest()
    return _verified[key]


def _expected(spec: FileSpec) -> str:
    return spec.sha256 or spec.git_blob or ""


def check(path: Path, spec: FileSpec) -> None:
    """Raise unless ``path`` has the pinned content."""
    got, want = _digest(path, spec), _expected(spec)
    if got != want:
        kind = "sha256" if spec.sha256 else "git blob id"
        raise DataError(
            f"{path} has {kind} {got}, but {spec.name} must have {want} (the pinned upstream version); the file is "
            f"corrupted or another version: delete it and run `raif-eval data pull {spec.benchmark}`"
        )


@dataclass
class Located:
    spec: FileSpec
    path: Path | None  # None when missing everywhere
    where: str  # "data dir", "cache" or "missing"


def locate(spec: FileSpec, data_dir_: str | os.PathLike | None = None) -> Located:
    """Where the file is now, without downloading or hash-checking."""
    root = data_dir(data_dir_)
    if root is not None and (root / spec.benchmark / spec.file).is_file():
        return Located(spec, root / spec.benchmark / spec.file, "data dir")
    cached = download_cache() / spec.benchmark / spec.file
    if cached.is_file():
        return Located(spec, cached, "cache")
    return Located(spec, None, "missing")


def resolve(bench: str, file: str, data_dir_: str | os.PathLike | None = None, download: bool = True) -> Path:
    """The verified local path of ``<bench>/<file>``, downloading it if needed and allowed."""
    spec = benchmark(bench).file(file)
    found = locate(spec, data_dir_)
    if found.path is not None:
        if found.where == "data dir" and _unverified():
            _warn_unverified(found.path)
        else:
            check(found.path, spec)
        return found.path
    if not download:
        raise _missing(spec, None)
    return fetch(spec)


def _unverified() -> bool:
    """RAIF_DATA_VERIFY=0: files in RAIF_DATA_DIR are used as they are (hand-made fixtures in the upstream schema,
    e.g. ComplexBench's, whose real file is not shipped). Downloads are always verified."""
    return os.environ.get("RAIF_DATA_VERIFY", "1").lower() in ("0", "false", "no")


_warned: set[Path] = set()


def _warn_unverified(path: Path) -> None:
    if path not in _warned:
        _warned.add(path)
        log.warning("RAIF_DATA_VERIFY=0: using %s without checking it against the pinned upstream version", path)


def _offline() -> bool:
    return os.environ.get("RAIF_OFFLINE", "") not in ("", "0")


def _missing(spec: FileSpec, reason: str | None) -> DataError:
    why = f"; {reason}" if reason else ""
    return DataError(
        f"benchmark file {spec.name} not found in RAIF_DATA_DIR or the cache {download_cache()}{why}; "
        f"set RAIF_DATA_DIR to a folder laid out as <benchmark>/<file>, or run `raif-eval data pull {spec.benchmark}` "
        f"where {mirror_base()} is reachable"
    )


def mirror_base() -> str:
    """Base URL of the raw-file host; RAIF_DATA_MIRROR replaces raw.githubusercontent.com (mirrors, tests)."""
    return os.environ.get("RAIF_DATA_MIRROR") or RAW_BASE


def fetch(spec: FileSpec) -> Path:
    """Download ``spec`` into the cache, verify it, and return its path."""
    if _offline():
        raise _missing(spec, "downloads are disabled (RAIF_OFFLINE=1)")
    target = download_cache() / spec.benchmark / spec.file
    target.parent.mkdir(parents=True, exist_ok=True)
    url = spec.url(mirror_base())
    with FileLock(str(target) + ".lock"):
        if target.is_file():  # another process finished it meanwhile
            check(target, spec)
            return target
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as resp:
                total = int(resp.headers.get("Content-Length") or 0) or spec.bytes
                with tqdm(total=total, unit="B", unit_scale=True, desc=spec.name, leave=False) as bar:
                    for chunk in iter(lambda: resp.read(1 << 16), b""):
                        out.write(chunk)
                        bar.update(len(chunk))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            tmp.unlink(missing_ok=True)
            reason = getattr(exc, "reason", None) or exc
            raise _missing(spec, f"downloading {url} failed ({reason})") from None
        try:
            check(tmp, spec)
        except DataError:
            got = _digest(tmp, spec)
            tmp.unlink(missing_ok=True)
            raise DataError(
                f"downloaded {url} but its hash is {got}, not the pinned {_expected(spec)}; refusing it "
                f"(check RAIF_DATA_MIRROR or the network path)"
            ) from None
        os.replace(tmp, target)
    return target

