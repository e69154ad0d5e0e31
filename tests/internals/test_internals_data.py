"""The shipped prompt sets and statement pairs, and the readers' errors."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="torch not installed: make test-internals installs it")
pytest.importorskip("transformers", reason="transformers not installed")

from bayescape.internals import InternalsError, default_prompts, load_prompts, load_statements

pytestmark = pytest.mark.behaviour


def test_shipped_prompt_sets_are_large_enough_and_distinct():
    sets = default_prompts()
    assert set(sets) == {"reasoning", "truthfulness", "neutral"}
    for name, prompts in sets.items():
        assert len(prompts) >= 50, name
        assert len(set(prompts)) == len(prompts), f"{name}: duplicate prompts"
    assert all(p.endswith("?") for p in sets["truthfulness"])
    assert not any(p.endswith((".", "?")) for p in sets["reasoning"])  # continuations
    everything = [p for prompts in sets.values() for p in prompts]
    assert len(set(everything)) == len(everything)


def test_shipped_statements():
    pairs = load_statements()
    assert len(pairs) >= 60
    assert len({p.question for p in pairs}) == len(pairs)
    for pair in pairs:
        assert pair.true != pair.false
        assert pair.context == f"Q: {pair.question}\nA:"


def test_readers_reject_bad_files(tmp_path):
    with pytest.raises(InternalsError, match="no such prompt file"):
        load_prompts(tmp_path / "missing.txt")
    short = tmp_path / "short.txt"
    short.write_text("only one\n\n# comment\n", encoding="utf-8")
    with pytest.raises(InternalsError, match="at least 2"):
        load_prompts(short)
    bad = tmp_path / "bad.tsv"
    bad.write_text("question\ttrue\n", encoding="utf-8")
    with pytest.raises(InternalsError, match="header"):
        load_statements(bad)
    bad.write_text("question\ttrue\tfalse\nq\ta\ta\n", encoding="utf-8")
    with pytest.raises(InternalsError, match="equal"):
        load_statements(bad)
    bad.write_text("question\ttrue\tfalse\nq\ta\tb\nq\tc\td\n", encoding="utf-8")
    with pytest.raises(InternalsError, match="repeated"):
        load_statements(bad)
    good = tmp_path / "good.tsv"
    good.write_text('question\ttrue\tfalse\nsay "hi"?\tyes, "hi"\tno\n', encoding="utf-8")
    (pair,) = load_statements(good)
    assert pair.true == 'yes, "hi"'
