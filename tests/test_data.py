"""The data layer: registry, resolution order, hash checks, pinned downloads (from a loopback mirror)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from helpers import SHARED, run_cli
from raif_eval import data
from raif_eval.data import store
from raif_eval.data.registry import FileSpec
from raif_eval.errors import DataError

IFEVAL = "input_data.jsonl"


def test_registry_covers_the_seven_benchmarks_with_pinned_sources():
    registry = data.benchmarks()
    assert set(registry) == {"ifeval", "cello", "cfbench", "complexbench", "fbbench", "followbench", "infobench"}
    for bench in registry.values():
        assert any(f.role == "data" for f in bench.files), bench.key
        for f in bench.files:
            assert len(f.commit) == 40 and (f.sha256 or f.git_blob), f.name
    spec = data.benchmark("ifeval").file(IFEVAL)
    assert spec.url() == ("https://raw.githubusercontent.com/josejg/instruction_following_eval/"
                          "0c495b2f95155e8b10acb919ae283bfb4d5be6e2/instruction_following_eval/data/input_data.jsonl")


def test_every_shared_file_matches_its_pin():
    missing = []
    for bench in data.benchmarks().values():
        for spec in bench.files:
            path = SHARED / bench.key / spec.file
            if path.exists():
                data.check(path, spec)
            else:
                missing.append(spec.name)
    # not in ../shared: always downloaded
    assert missing == ["complexbench/data/data_final.json", "complexbench/data/data_release.json"]


def test_resolve_prefers_the_data_dir_and_checks_it(tmp_path, monkeypatch):
    assert data.resolve("ifeval", IFEVAL) == SHARED / "ifeval" / IFEVAL
    corrupt = tmp_path / "ifeval" / IFEVAL
    corrupt.parent.mkdir()
    corrupt.write_bytes((SHARED / "ifeval" / IFEVAL).read_bytes().replace(b"300+", b"301+", 1))
    monkeypatch.setenv("RAIF_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError) as err:
        data.resolve("ifeval", IFEVAL)
    want = data.benchmark("ifeval").file(IFEVAL).sha256
    got = hashlib.sha256(corrupt.read_bytes()).hexdigest()
    assert want in str(err.value) and got in str(err.value)


def test_unverified_data_dir_files_are_allowed_only_on_request(tmp_path, monkeypatch):
    fixture = tmp_path / "complexbench" / "data" / "data_final.json"
    fixture.parent.mkdir(parents=True)
    fixture.write_text("[]")
    monkeypatch.setenv("RAIF_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match="git blob id"):
        data.resolve("complexbench", "data/data_final.json")
    monkeypatch.setenv("RAIF_DATA_VERIFY", "0")  # hand-made fixtures in the upstream schema
    assert data.resolve("complexbench", "data/data_final.json") == fixture
    with pytest.raises(DataError, match="not found"):  # a missing file is still missing (and never downloaded here)
        data.resolve("complexbench", "data/data_release.json")


def test_missing_data_dir_and_missing_file_say_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("RAIF_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match=r"RAIF_DATA_DIR=.*nowhere is not a directory.*raif-eval data pull"):
        data.resolve("ifeval", IFEVAL)
    monkeypatch.setenv("RAIF_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RAIF_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(DataError) as err:
        data.resolve("ifeval", IFEVAL)
    message = str(err.value)
    assert "ifeval/input_data.jsonl" in message and "RAIF_DATA_DIR" in message
    assert "raif-eval data pull ifeval" in message and "\n" not in message


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A loopback HTTP server laid out as raw.githubusercontent.com (<repo>/<commit>/<path>)."""
    root = tmp_path / "mirror"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("RAIF_DATA_MIRROR", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("RAIF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RAIF_DATA_DIR", "")
    monkeypatch.delenv("RAIF_OFFLINE")

    def publish(spec: FileSpec, content: bytes) -> None:
        target = root / spec.repo / spec.commit / spec.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)

    yield publish
    server.shutdown()


def test_download_from_the_pinned_commit_is_verified_and_cached(mirror, tmp_path):
    spec = data.benchmark("ifeval").file(IFEVAL)
    mirror(spec, (SHARED / "ifeval" / IFEVAL).read_bytes())
    path = data.resolve("ifeval", IFEVAL)
    assert path == tmp_path / "cache" / "data" / "ifeval" / IFEVAL
    assert hashlib.sha256(path.read_bytes()).hexdigest() == spec.sha256
    assert data.locate(spec).where == "cache"


def test_download_with_the_wrong_content_is_refused(mirror, tmp_path):
    spec = data.benchmark("ifeval").file(IFEVAL)
    mirror(spec, b"not the benchmark\n")
    with pytest.raises(DataError, match=rf"hash is [0-9a-f]{{64}}, not the pinned {spec.sha256}"):
        data.resolve("ifeval", IFEVAL)
    assert not (tmp_path / "cache" / "data" / "ifeval" / IFEVAL).exists()


def test_git_blob_pins_are_checked(mirror, tmp_path):
    content = b'[{"main_id": 1}]\n'
    blob = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
    good = FileSpec("complexbench", "x.json", "data", "o/r", "c" * 40, "x.json", git_blob=blob)
    mirror(good, content)
    assert store.fetch(good).read_bytes() == content
    bad = FileSpec("complexbench", "y.json", "data", "o/r", "c" * 40, "x.json", git_blob="0" * 40)
    with pytest.raises(DataError, match="not the pinned 0000"):
        store.fetch(bad)


def test_data_cli_pull_verify_where(mirror, tmp_path):
    spec = data.benchmark("infobench").file("InfoBench.json")
    mirror(spec, (SHARED / "infobench" / "InfoBench.json").read_bytes())
    pulled = run_cli("data", "pull", "infobench")
    assert pulled.returncode == 0, pulled.stderr
    assert "downloaded" in pulled.stdout
    verified = run_cli("data", "verify", "infobench")
    assert verified.returncode == 0 and "ok (cache)" in verified.stdout
    where = run_cli("data", "where", "ifeval", env={"RAIF_DATA_DIR": str(SHARED)})
    assert str(SHARED / "ifeval" / IFEVAL) in where.stdout
    missing = run_cli("data", "verify", "complexbench")
    assert missing.returncode == 1 and "complexbench/data/data_final.json" in missing.stdout


def test_verify_flags_a_corrupted_file(tmp_path):
    bench = tmp_path / "ifeval"
    shutil.copytree(SHARED / "ifeval", bench)
    (bench / IFEVAL).chmod(0o644)
    with (bench / IFEVAL).open("ab") as fh:
        fh.write(b"\n")
    out = run_cli("data", "verify", "ifeval", env={"RAIF_DATA_DIR": str(tmp_path)})
    assert out.returncode == 1 and "HASH MISMATCH" in out.stdout


def test_loaders_read_through_the_data_layer():
    from raif_eval.benchmarks import ifeval

    records = ifeval.load_records()
    assert len(records) == 541 and records[0]["key"] == 1000
    assert sum(len(r["instruction_id_list"]) for r in records) == 834
    assert Path(store.data_dir()) == SHARED
