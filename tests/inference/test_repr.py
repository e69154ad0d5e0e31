"""Short reprs of the public objects and the public names that ``dir(bayescape)`` lists."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import bayescape
from bayescape._repr import compact_repr, field_summary
from bayescape.analysis import diagnose_model, family_curves


@pytest.mark.behaviour
def test_result_repr_is_one_line_with_model_data_families_draws_and_gate(prior_result):
    text = repr(prior_result)
    # one chain of prior draws fails the R-hat gate, which the repr must say
    assert text == (
        "<bayescape.Result phase on leaderboard_v1: 147 models, 47 families, "
        "1 chains x 200 draws, gate FAILED>"
    )


@pytest.mark.behaviour
def test_repr_names_a_data_file_by_its_name_and_survives_a_tree_without_posterior(prior_result):
    other = type(prior_result)(
        idata=prior_result.idata["sample_stats"].copy(),
        data=prior_result.data,
        spec=prior_result.spec,
        info={"data_source": "/some/where/panel.csv"},
    )
    assert repr(other) == (
        "<bayescape.Result phase on panel.csv: 147 models, 47 families, no posterior>"
    )


@pytest.mark.behaviour
def test_objects_holding_draws_print_shapes_not_numbers(prior_result):
    curves = family_curves(prior_result, "Pythia", max_draws=None)
    assert repr(curves) == (
        "FamilyCurves(family='Pythia', x=<array 60>, reasoning=<array 200x60>, "
        "truthfulness=<array 200x60>, coupling=<array 200x60>, c=<array 200>)"
    )
    diagnosis = diagnose_model(prior_result, 4e9, 0.6, 0.4, family="Pythia")
    for obj in (diagnosis, prior_result.diagnostics, prior_result.panel):
        text = repr(obj)
        assert "\n" not in text and len(text) < 800, (type(obj).__name__, len(text))
    assert "c=<array 200>" in repr(diagnosis)


@pytest.mark.behaviour
def test_model_spec_repr_is_one_line_with_name_kind_hash_and_counts(tmp_path):
    from bayescape.models import load_spec

    spec = load_spec("phase")
    assert repr(spec) == (
        f"<ModelSpec phase (phase model, spec {spec.hash}) from phase.toml: "
        f"{len(spec.covariates)} covariates, {len(spec.priors)} priors>"
    )
    assert len(spec.covariates) == 7 and len(spec.priors) == 17  # the shipped phase model
    assert len(repr(spec)) < 120 and len(spec.text) > 1000  # the text itself is not printed
    mine = tmp_path / "mine.toml"
    mine.write_text(spec.text.replace('name = "phase"', 'name = "mine"', 1))
    assert repr(load_spec(mine)).startswith("<ModelSpec mine (phase model, spec ")
    assert repr(load_spec(mine)).split(") from ")[1].startswith("mine.toml: 7 covariates")


@pytest.mark.behaviour
def test_field_summary_by_kind():
    assert field_summary(np.zeros((3, 4))) == "<array 3x4>"
    assert field_summary(np.float64(2.5)) == "np.float64(2.5)"
    assert field_summary(pd.DataFrame({"a": [1, 2]})) == "<DataFrame 2x1>"
    assert field_summary("short") == "'short'"
    assert field_summary("x" * 200) == "<str of 202 characters>"
    assert field_summary(list(range(100))) == "<list of 100>"

    @dataclass(repr=False)
    class Box:
        name: str
        draws: np.ndarray

        __repr__ = compact_repr

    assert repr(Box("b", np.ones(5))) == "Box(name='b', draws=<array 5>)"


@pytest.mark.behaviour
def test_dir_lists_the_lazily_imported_public_names():
    names = dir(bayescape)
    assert names == sorted(bayescape.__all__)
    for name in ("Result", "fit", "load", "load_dataset", "__version__"):
        assert name in names
        assert getattr(bayescape, name) is not None
