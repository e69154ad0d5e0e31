"""``bayescape.fit`` takes ``fit_model``'s parameters, written once (in ``fit_model``)."""

from __future__ import annotations

import inspect

import pytest

import bayescape
from bayescape.inference import fit_model


@pytest.mark.behaviour
def test_fit_shows_and_checks_the_parameters_of_fit_model():
    fit, source = inspect.signature(bayescape.fit), inspect.signature(fit_model)
    assert fit.parameters == source.parameters
    assert fit.return_annotation == "Result"
    with pytest.raises(TypeError, match="unexpected keyword argument 'seed'"):
        bayescape.fit("phase", seed=1)
