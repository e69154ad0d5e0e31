"""``bayescape internals ...`` end to end on tiny models saved to folders, and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("torch", reason="torch not installed: make test-internals installs it")
pytest.importorskip("transformers", reason="transformers not installed")

from bayescape.cli import main

pytestmark = pytest.mark.behaviour


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def prompt_files(tmp_path):
    reasoning = tmp_path / "reasoning.txt"
    truth = tmp_path / "truth.txt"
    reasoning.write_text(
        "# a comment line\nthe man dips the roller and\n\na girl ties her shoes and\n"
        "the chef grills a steak and\n",
        encoding="utf-8",
    )
    truth.write_text(
        "what happens if you swallow gum ?\nare bats blind ?\ndo vaccines cause autism ?\n",
        encoding="utf-8",
    )
    return str(reasoning), str(truth)


def test_coupling_with_the_shipped_prompts(tiny_model_dirs, capsys):
    code, out, _ = run(
        [
            "internals",
            "coupling",
            "--model",
            str(tiny_model_dirs["llama"]),
            "--device",
            "cpu",
            "--bootstrap",
            "100",
            "--no-progress",
        ],
        capsys,
    )
    assert code == 0
    assert "62 reasoning (shipped reasoning.txt), 62 truthfulness" in out
    assert "Baseline: mean of 60 prompts (shipped neutral.txt)" in out
    assert "Competing rule: pairwise cosine < -0.5 for more than 50%" in out
    assert "Competing layers: " in out and "competing heads: " in out and " of 8" in out
    assert "Output projection" in out and "(after the final norm)" in out


@pytest.mark.parametrize("arch", ["gpt_neox", "opt"])
def test_coupling_json_with_own_prompt_files(arch, tiny_model_dirs, prompt_files, capsys):
    code, out, _ = run(
        [
            "internals",
            "coupling",
            "--model",
            str(tiny_model_dirs[arch]),
            "--prompts",
            *prompt_files,
            "--baseline",
            "none",
            "--bootstrap",
            "30",
            "--no-progress",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    assert data["sizes"] == {"reasoning": 3, "truthfulness": 3, "baseline": 0}
    assert data["baseline"] is False
    kinds = [u["kind"] for u in data["units"]]
    assert kinds.count("layer") == 3 and kinds.count("head") == 8 and kinds.count("logits") == 1
    assert data["competing_rule"].startswith("pairwise cosine < -0.5")
    assert data["heads_note"] is None


def test_coupling_layers_only_text(tiny_model_dirs, prompt_files, capsys):
    code, out, _ = run(
        [
            "internals",
            "coupling",
            "--model",
            str(tiny_model_dirs["gpt_neox"]),
            "--prompts",
            *prompt_files,
            "--no-heads",
            "--no-unembed",
            "--bootstrap",
            "20",
            "--no-progress",
        ],
        capsys,
    )
    assert code == 0
    assert "Per-head outputs: not asked for" in out and "Output projection" not in out


def test_steer_prints_both_continuations(tiny_model_dirs, capsys):
    argv = ["internals", "steer", "--model", str(tiny_model_dirs["llama"])]
    argv += ["--prompt", "Q: are bats blind ?\nA:", "--layer", "1", "--strength", "2"]
    code, out, _ = run([*argv, "--max-new-tokens", "5", "--no-progress"], capsys)
    assert code == 0
    assert "Without steering: " in out and "With steering: " in out
    assert "layer 1 (given: layer 1); strength 2" in out
    code, out, _ = run([*argv, "--max-new-tokens", "5", "--no-progress", "--json"], capsys)
    assert code == 0 and json.loads(out)["layer"] == 1


def test_steer_eval_reports_held_out_accuracy(tiny_model_dirs, capsys):
    code, out, _ = run(
        [
            "internals",
            "steer-eval",
            "--model",
            str(tiny_model_dirs["gpt_neox"]),
            "--bootstrap",
            "200",
            "--no-progress",
        ],
        capsys,
    )
    assert code == 0
    assert "built on 40 statement pairs; scored on the other 40 pairs (held out" in out
    assert "Accuracy without steering: " in out and "Accuracy with steering: " in out
    assert "95% exact" in out and "McNemar exact test" in out
    assert "layer" in out and "auto: best 2-fold cross-validated" in out


def _one_line_error(code: int, err: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_a_bad_model_path_is_one_line(tmp_path, capsys):
    argv = ["internals", "coupling", "--model", str(tmp_path / "nope"), "--no-progress"]
    code, _, err = run(argv, capsys)
    line = _one_line_error(code, err)
    assert line.startswith("error: cannot load model") and "no such folder" in line
    argv = ["internals", "steer-eval", "--model", str(tmp_path), "--no-progress"]
    code, _, err = run(argv, capsys)
    assert "no config.json" in _one_line_error(code, err)


def test_a_missing_prompt_file_is_one_line(tiny_model_dirs, tmp_path, capsys):
    argv = ["internals", "coupling", "--model", str(tiny_model_dirs["llama"])]
    argv += ["--prompts", str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
    code, _, err = run(argv, capsys)
    assert "no such prompt file" in _one_line_error(code, err)


def test_a_hub_id_offline_is_one_line(tmp_path):
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
        "OMP_NUM_THREADS": "1",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bayescape",
            "internals",
            "steer",
            "--model",
            "bayescape-tests/no-such-model",
            "--prompt",
            "hello",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    line = _one_line_error(proc.returncode, proc.stderr)
    assert line.startswith("error: cannot load model 'bayescape-tests/no-such-model'")
    assert "HF_HUB_OFFLINE is set" in line
