"""The phase model's closed forms against numerical integration (scipy)."""

import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp

from bayescape.models.phase import (
    coupling,
    reasoning_curve,
    reasoning_integral,
    truthfulness_curve,
)

FLOOR = 0.249
PARAMS = [  # (a, b, anchor, t, gamma, c): tax-only, transition inside, bonus-only, steep
    (-0.5, 1.2, 9.3, 0.40, 0.5, 10.4),
    (0.3, 0.9, 9.8, 0.38, 0.3, 9.6),
    (1.0, 0.7, 10.2, 0.45, 0.2, 8.0),
    (-2.0, 3.0, 8.8, 0.42, 1.0, 9.0),
]


@pytest.mark.math
@pytest.mark.parametrize(("a", "b", "m", "t", "gamma", "c"), PARAMS)
def test_reasoning_integral_matches_quadrature(a, b, m, t, gamma, c):
    # quad is accurate to ~1e-12 on this smooth integrand; 1e-9 leaves room for softplus rounding
    for x in (7.5, 8.9, m, 10.7, 12.0):
        expected, _ = quad(lambda s: reasoning_curve(s, FLOOR, a, b, m), m, x, epsabs=1e-13)
        assert reasoning_integral(x, FLOOR, a, b, m) == pytest.approx(expected, abs=1e-9)


@pytest.mark.math
@pytest.mark.parametrize(("a", "b", "m", "t", "gamma", "c"), PARAMS)
def test_truthfulness_solves_the_coupling_ode(a, b, m, t, gamma, c):
    """T(x) in closed form equals the solution of dT/dx = gamma (x - c) dR/dx, T(m) = t."""

    def rhs(x, y):
        s = 1.0 / (1.0 + np.exp(-(a + b * (x - m))))
        dr = (1.0 - FLOOR) * b * s * (1.0 - s)
        return [gamma * (x - c) * dr]

    grid = np.linspace(m, 12.0, 25)
    up = solve_ivp(rhs, (m, 12.0), [t], t_eval=grid, rtol=1e-11, atol=1e-13)
    down_grid = np.linspace(m, 7.0, 25)
    down = solve_ivp(rhs, (m, 7.0), [t], t_eval=down_grid, rtol=1e-11, atol=1e-13)
    # both integrations reach 1e-11 relative accuracy; 1e-8 absolute on scores in [0, 1]
    np.testing.assert_allclose(
        truthfulness_curve(grid, FLOOR, a, b, m, t, gamma, c), up.y[0], atol=1e-8
    )
    np.testing.assert_allclose(
        truthfulness_curve(down_grid, FLOOR, a, b, m, t, gamma, c), down.y[0], atol=1e-8
    )


@pytest.mark.math
@pytest.mark.parametrize(("a", "b", "m", "t", "gamma", "c"), PARAMS)
def test_truthfulness_minimum_is_at_the_critical_scale(a, b, m, t, gamma, c):
    """dT/dx = gamma (x - c) R'(x) with R' > 0: T falls below c, rises above, minimum at c."""
    x = np.linspace(c - 2.0, c + 2.0, 40001)
    curve = truthfulness_curve(x, FLOOR, a, b, m, t, gamma, c)
    assert x[np.argmin(curve)] == pytest.approx(c, abs=2e-4)  # grid step is 1e-4
    assert np.sign(coupling(c - 0.1, gamma, c)) == -1
    assert np.sign(coupling(c + 0.1, gamma, c)) == 1


@pytest.mark.math
def test_linear_reasoning_limit_is_the_papers_quadratic():
    """With R nearly linear (tiny slope b, large floor gap) T is a parabola with vertex c."""
    a, b, m, t, gamma, c = 0.0, 1e-3, 9.5, 0.4, 2.0, 9.7
    x = np.linspace(8.0, 11.0, 31)
    curve = truthfulness_curve(x, FLOOR, a, b, m, t, gamma, c)
    coeffs = np.polyfit(x, curve, 2)
    assert -coeffs[1] / (2 * coeffs[0]) == pytest.approx(c, abs=1e-4)
    # residual of the quadratic fit is O(b^2) relative to the curve's range
    assert np.max(np.abs(np.polyval(coeffs, x) - curve)) < 1e-6 * np.ptp(curve) + 1e-12
