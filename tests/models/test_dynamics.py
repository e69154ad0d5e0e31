"""The sparse dynamics model: library maths, the diffrax solve, the wrapped op, recovery."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp

import bayescape._jax  # noqa: F401
from bayescape.data import DataWarning
from bayescape.errors import SpecError
from bayescape.models import build_model, headline_variables, load_spec, parse_spec
from bayescape.models import required_benchmarks as required
from bayescape.models.dynamics import (
    SolverSettings,
    jacobian,
    library_features,
    make_library,
    make_panel_solver,
    prepare_dynamics_panel,
    rhs,
)

STATES = ["hellaswag", "truthfulqa"]
CENTRE = np.array([0.65, 0.40])
SCALE = np.array([0.15, 0.05])

# A known sparse system in standard units: du_H/dx = 1 - 0.5 u_H, du_T/dx = 0.3 + 0.6 u_H
TRUE_XI = np.zeros((6, 2))
TRUE_XI[0] = [1.0, 0.3]
TRUE_XI[1] = [-0.5, 0.6]


def dynamics_spec(section: str = "model", **overrides) -> object:
    """The shipped dynamics spec with keys of ``[section]`` replaced, or added when absent
    (e.g. ``family_offsets``; ``section="horseshoe"`` for ``global_scale``)."""
    lines = load_spec("dynamics").text.splitlines()
    for key, value in overrides.items():
        if any(line.split("=")[0].strip() == key for line in lines):
            lines = [
                f"{key} = {value}" if line.split("=")[0].strip() == key else line for line in lines
            ]
        else:
            lines.insert(lines.index(f"[{section}]") + 1, f"{key} = {value}")
    return parse_spec("\n".join(lines) + "\n", "<test spec>")


def simulate_panel(
    n_families: int = 10,
    n_models: int = 6,
    xi: np.ndarray = TRUE_XI,
    noise: float = 0.004,
    items: int = 20_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Families integrated with scipy from spread-out starts, scores with binomial + extra noise."""
    rng = np.random.default_rng(seed)
    library = make_library(STATES, 2)
    rows = []
    for f in range(n_families):
        x0 = rng.uniform(8.0, 9.5)
        xs = np.sort(x0 + np.concatenate([[0.0], rng.uniform(0.3, 2.5, n_models - 1)]))
        u0 = np.array([rng.uniform(-1.8, 0.5), rng.uniform(-1.0, 1.0)])
        sol = solve_ivp(
            lambda _x, u: rhs(u, xi, library.powers),
            (xs[0], xs[-1]),
            u0,
            t_eval=xs,
            rtol=1e-10,
            atol=1e-12,
        )
        b = CENTRE + SCALE * sol.y.T
        sd = np.sqrt(b * (1 - b) / items + noise**2)
        y = b + sd * rng.standard_normal(b.shape)
        for i, x in enumerate(xs):
            rows.append(
                {
                    "model": f"fam{f}-m{i}",
                    "family": f"fam{f:02d}",
                    "params": 10**x,
                    "hellaswag": y[i, 0],
                    "truthfulqa": y[i, 1],
                    "items_hellaswag": items,
                    "items_truthfulqa": items,
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Library and Jacobian


@pytest.mark.math
def test_library_terms_and_features_match_hand_computed_monomials():
    lib = make_library(STATES, 2)
    assert lib.terms == (
        "1",
        "hellaswag",
        "truthfulqa",
        "hellaswag^2",
        "hellaswag*truthfulqa",
        "truthfulqa^2",
    )
    u = np.array([0.7, -1.3])
    h, t = u
    np.testing.assert_allclose(library_features(u, lib.powers), [1.0, h, t, h * h, h * t, t * t])
    assert make_library(STATES, 3).n_terms == 10


@pytest.mark.math
def test_jacobian_matches_finite_differences():
    lib = make_library(STATES, 3)
    rng = np.random.default_rng(1)
    xi = rng.normal(size=(lib.n_terms, 2))
    u = np.array([0.4, -0.8])
    eps = 1e-6
    fd = np.column_stack(
        [
            (rhs(u + eps * e, xi, lib.powers) - rhs(u - eps * e, xi, lib.powers)) / (2 * eps)
            for e in np.eye(2)
        ]
    )
    np.testing.assert_allclose(jacobian(u, xi, lib.powers), fd, rtol=1e-7, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# The diffrax solve against scipy


def _scipy_reference(xi, u0, offset, x0, xs, powers):
    grid, back = np.unique(xs, return_inverse=True)  # scipy needs strictly increasing t_eval
    sol = solve_ivp(
        lambda _x, u: rhs(u, xi, powers) + offset,
        (x0, xs[-1]),
        u0,
        t_eval=grid,
        rtol=1e-11,
        atol=1e-12,
        method="DOP853",
    )
    return sol.y.T[back]


@pytest.mark.math
@pytest.mark.parametrize(
    "settings, tol",
    [
        (SolverSettings(method="dopri5", stepsize="adaptive", rtol=1e-10, atol=1e-12), 1e-8),
        (SolverSettings(method="tsit5", stepsize="adaptive", rtol=1e-10, atol=1e-12), 1e-8),
        (SolverSettings(), 1e-5),  # the shipped default: Tsit5, 8 fixed steps
    ],
)
def test_vectorised_diffrax_solve_matches_scipy(settings, tol):
    lib = make_library(STATES, 2)
    rng = np.random.default_rng(2)
    xi = rng.normal(0.0, 0.15, (lib.n_terms, 2))
    xi[0] = [0.9, 0.3]
    # three families of different spans and numbers of save points (padded, masked)
    x_fam = [np.array([8.0, 8.5, 9.3, 10.2]), np.array([9.0, 9.1]), np.array([7.5, 8.0, 8.0])]
    u0 = rng.normal(0, 0.5, (3, 2))
    offset = rng.normal(0, 0.1, (3, 2))
    span = np.array([x[-1] - x[0] for x in x_fam])
    save = np.ones((3, 4))
    for f, x in enumerate(x_fam):
        save[f, : len(x)] = (x - x[0]) / span[f]
    got = np.asarray(make_panel_solver(lib.powers, span, save, settings)(xi, u0, offset))
    for f, x in enumerate(x_fam):
        ref = _scipy_reference(xi, u0[f], offset[f], x[0], x, lib.powers)
        np.testing.assert_allclose(got[f, : len(x)], ref, atol=tol, rtol=0)


@pytest.mark.math
def test_gradient_of_wrapped_op_matches_finite_differences():
    import pytensor
    import pytensor.tensor as pt

    lib = make_library(STATES, 2)
    span, save = np.array([1.5, 0.7]), np.array([[0.0, 0.4, 1.0], [0.0, 1.0, 1.0]])
    settings = SolverSettings(method="dopri5", stepsize="adaptive", rtol=1e-11, atol=1e-12)
    op = pytensor.wrap_jax(make_panel_solver(lib.powers, span, save, settings))
    xi_v = pt.tensor("xi", shape=(lib.n_terms, 2), dtype="float64")
    u0_v = pt.tensor("u0", shape=(2, 2), dtype="float64")
    off_v = pt.tensor("off", shape=(2, 2), dtype="float64")
    weights = np.random.default_rng(3).normal(size=(2, 3, 2))
    loss = pt.sum(op(xi_v, u0_v, off_v) * weights)
    grads = pytensor.grad(loss, [xi_v, u0_v])
    f_loss = pytensor.function([xi_v, u0_v, off_v], loss, mode="JAX")
    f_grad = pytensor.function([xi_v, u0_v, off_v], grads, mode="JAX")
    rng = np.random.default_rng(4)
    xi = rng.normal(0, 0.2, (lib.n_terms, 2))
    u0, off = rng.normal(0, 0.5, (2, 2)), rng.normal(0, 0.1, (2, 2))
    g_xi, g_u0 = (np.asarray(g) for g in f_grad(xi, u0, off))
    assert g_xi.dtype == np.float64
    eps = 1e-6
    for idx in [(0, 0), (1, 1), (4, 0), (5, 1)]:
        d = np.zeros_like(xi)
        d[idx] = eps
        fd = float(f_loss(xi + d, u0, off) - f_loss(xi - d, u0, off)) / (2 * eps)
        assert g_xi[idx] == pytest.approx(fd, rel=1e-5, abs=1e-7)
    d = np.zeros_like(u0)
    d[1, 0] = eps
    fd = float(f_loss(xi, u0 + d, off) - f_loss(xi, u0 - d, off)) / (2 * eps)
    assert g_u0[1, 0] == pytest.approx(fd, rel=1e-5, abs=1e-7)


@pytest.mark.behaviour
def test_blown_up_solve_gives_non_finite_values_not_an_exception():
    lib = make_library(STATES, 2)
    xi = np.zeros((lib.n_terms, 2))
    xi[3] = [50.0, 0.0]  # du_H/dx = 50 u_H^2: finite-time blow-up
    settings = SolverSettings(stepsize="adaptive", max_steps=64)
    out = make_panel_solver(lib.powers, np.array([3.0]), np.array([[0.0, 1.0]]), settings)(
        xi, np.array([[1.0, 0.0]]), np.zeros((1, 2))
    )
    assert not np.isfinite(np.asarray(out)[0, 1]).all()


# ---------------------------------------------------------------------------------------------
# Panel, spec and the PyMC model


@pytest.mark.behaviour
def test_panel_pads_save_points_and_leaves_out_single_model_families():
    df = simulate_panel(3, 4)
    df = pd.concat(
        [
            df,
            pd.DataFrame(
                [
                    {
                        "model": "lonely",
                        "family": "solo",
                        "params": 1e9,
                        "hellaswag": 0.5,
                        "truthfulqa": 0.4,
                        "items_hellaswag": 10042,
                        "items_truthfulqa": 817,
                    }
                ]
            ),
        ]
    )
    with pytest.warns(DataWarning, match="solo"):
        panel = prepare_dynamics_panel(df, load_spec("dynamics"))
    assert list(panel.families) == ["fam00", "fam01", "fam02"]
    assert panel.save_s.shape == (3, 4)
    np.testing.assert_allclose(panel.save_s[:, 0], 0.0)
    np.testing.assert_allclose(panel.save_s[:, -1], 1.0)
    f0 = panel.family_index == 0
    np.testing.assert_allclose(
        panel.x0[0] + panel.save_s[0, panel.position[f0]] * panel.span[0], panel.x[f0]
    )
    np.testing.assert_allclose(
        panel.u0_observed[0], (panel.scores[panel.anchor_rows[0]] - CENTRE) / SCALE
    )


@pytest.mark.behaviour
def test_spec_registration_and_errors():
    spec = load_spec("dynamics")
    assert required(spec) == STATES
    assert "Xi" in headline_variables(spec)
    with pytest.raises(SpecError, match="unknown 'gpqa'"):
        prepare_dynamics_panel(simulate_panel(2, 3), dynamics_spec(benchmarks='["gpqa"]'))
    with pytest.raises(SpecError, match="method"):
        SolverSettings(method="rk45")


@pytest.mark.behaviour
def test_built_model_has_named_coords_and_a_finite_float64_gradient():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model, _panel = build_model(simulate_panel(4, 4), load_spec("dynamics"))
    assert list(model.coords["term"])[:3] == ["1", "hellaswag", "truthfulqa"]
    assert set(["Xi", "kappa", "u0", "delta", "tau"]) <= set(model.named_vars)
    import jax
    from pymc.sampling.jax import get_jaxified_logp

    # the graph compiles to JAX (what numpyro/blackjax/nutpie-jax run), in double precision
    logp = get_jaxified_logp(model)
    point = model.initial_point()
    values = [point[v.name] for v in model.value_vars]
    grads = jax.grad(logp)(values)
    assert all(np.asarray(g).dtype == np.float64 and np.isfinite(g).all() for g in grads)


@pytest.mark.math
def test_centred_and_non_centred_offsets_are_the_same_prior():
    """offsets_centred only moves where delta lives: same log density at the same delta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = simulate_panel(4, 4)
        plain, _ = build_model(df, dynamics_spec(offsets_centred="false"))
        centred, _ = build_model(df, dynamics_spec(offsets_centred="true"))
    assert "delta_z" in plain.named_vars and "delta_z" not in centred.named_vars
    assert centred["delta"] in centred.free_RVs
    from scipy.stats import norm

    sd = 0.3
    delta = np.array([[0.1, -0.2], [0.3, 0.0], [-0.4, 0.5], [0.2, 0.2]])
    lp = centred.compile_logp(vars=[centred["delta"]], sum=True)
    point = centred.initial_point()
    point["offset_sigma_log__"] = np.log(np.full(2, sd))
    point["delta"] = delta
    # N(0, sd) per entry; the non-centred form is N(0, 1) on delta / sd with Jacobian 1 / sd
    assert float(lp(point)) == pytest.approx(norm.logpdf(delta, 0, sd).sum(), rel=1e-10)
    lp_z = plain.compile_logp(vars=[plain["delta_z"]], sum=True)
    point_z = plain.initial_point()
    point_z["delta_z"] = delta / sd
    assert float(lp_z(point_z)) - delta.size * np.log(sd) == pytest.approx(
        norm.logpdf(delta, 0, sd).sum(), rel=1e-10
    )


# ---------------------------------------------------------------------------------------------
# Recovery of a known sparse system


def _recover(n_families: int, n_models: int, draws: int, chains: int, seed: int):
    from bayescape.analysis._dynamics import term_inclusion
    from bayescape.inference import FitResult, sample

    df = simulate_panel(n_families, n_models, seed=seed)
    spec = dynamics_spec(family_offsets="false")
    model, _ = build_model(df, spec)
    idata, _ = sample(
        model,
        sampler="numpyro",  # the whole graph in JAX (nutpie's Numba path runs JAX ops slowly)
        draws=draws,
        tune=draws,
        chains=chains,
        random_seed=seed,
        progressbar=False,
    )
    result = FitResult(idata=idata, data=df, spec=spec)
    return term_inclusion(result, prob=0.9), idata


def _check_recovery(table: pd.DataFrame) -> None:
    lib = make_library(STATES, 2)
    truth = {(s, t): TRUE_XI[j, k] for k, s in enumerate(STATES) for j, t in enumerate(lib.terms)}
    table = table.assign(
        true=[truth[(s, t)] for s, t in zip(table["state"], table["term"], strict=True)]
    )
    shrunk = table[table["term"] != "1"]
    active = shrunk[shrunk["true"] != 0]
    inactive = shrunk[shrunk["true"] == 0]
    # the true active terms get the highest inclusion
    assert active["p_included"].min() > inactive["p_included"].max(), table
    covered = (table["xi_low"] <= table["true"]) & (table["true"] <= table["xi_high"])
    # every true nonzero coefficient in its 90% interval; the eight zeros: at most one miss
    assert covered[table["true"] != 0].all(), table
    assert covered[table["true"] == 0].sum() >= 7, table


@pytest.mark.behaviour
def test_recovers_a_known_sparse_system_small():
    table, _idata = _recover(n_families=6, n_models=5, draws=120, chains=2, seed=11)
    _check_recovery(table)


@pytest.mark.slow
def test_recovers_a_known_sparse_system_full():
    table, idata = _recover(n_families=20, n_models=6, draws=500, chains=4, seed=12)
    _check_recovery(table)
    assert int(idata.sample_stats.ds["diverging"].sum()) <= 4


# ---------------------------------------------------------------------------------------------
# The sampling geometry of issue 16: unrolled fixed steps, the score box, fixed scales,
# the mean-rate intercept and mixed offsets


@pytest.mark.math
def test_unrolled_fixed_steps_are_diffrax_diffeqsolve_with_constant_steps():
    """The unrolled solve is diffeqsolve(ConstantStepSize, SaveAt(ts)) to rounding (same
    tableau, same dense interpolation): tolerance 1e-12 in standard units."""
    import diffrax
    import jax.numpy as jnp

    lib = make_library(STATES, 2)
    rng = np.random.default_rng(5)
    xi = rng.normal(0.0, 0.2, (lib.n_terms, 2))
    u0, offset = rng.normal(0, 0.5, (2, 2)), rng.normal(0, 0.1, (2, 2))
    span = np.array([1.7, 0.6])
    save = np.array([[0.0, 0.13, 0.5, 0.87, 1.0], [0.0, 0.25, 0.25, 1.0, 1.0]])
    steps = 4
    got = np.asarray(
        make_panel_solver(lib.powers, span, save, SolverSettings(steps=steps))(xi, u0, offset)
    )

    def field(s, u, args):
        width, offset_f = args
        return width * (library_features(u, lib.powers, jnp) @ xi + offset_f)

    for f in range(2):
        sol = diffrax.diffeqsolve(
            diffrax.ODETerm(field),
            diffrax.Tsit5(),
            t0=0.0,
            t1=1.0,
            dt0=1.0 / steps,
            y0=jnp.asarray(u0[f]),
            args=(span[f], jnp.asarray(offset[f])),
            saveat=diffrax.SaveAt(ts=jnp.asarray(save[f])),
            stepsize_controller=diffrax.ConstantStepSize(),
            max_steps=steps,
        )
        np.testing.assert_allclose(got[f], np.asarray(sol.ys), atol=1e-12, rtol=0)


@pytest.mark.math
def test_score_box_keeps_a_blow_up_finite_and_leaves_trajectories_inside_unchanged():
    from bayescape.models.dynamics import score_box

    lib = make_library(STATES, 2)
    box = score_box(CENTRE, SCALE)
    np.testing.assert_allclose(box[0], -CENTRE / SCALE)
    np.testing.assert_allclose(box[1], (1 - CENTRE) / SCALE)
    settings = SolverSettings(steps=16)
    save = np.array([[0.0, 0.5, 1.0]])
    # du_H/dx = 2 u_H^2 from u_H = 1 blows up at x = 0.5 decades; the span is 3 decades
    xi = np.zeros((lib.n_terms, 2))
    xi[3] = [2.0, 0.0]
    u0 = np.array([[1.0, 0.0]])
    free = np.asarray(
        make_panel_solver(lib.powers, np.array([3.0]), save, settings)(xi, u0, np.zeros((1, 2)))
    )
    boxed = np.asarray(
        make_panel_solver(lib.powers, np.array([3.0]), save, settings, box)(
            xi, u0, np.zeros((1, 2))
        )
    )
    assert not (np.isfinite(free).all() and np.abs(free).max() < 1e6)
    assert np.isfinite(boxed).all()
    # past the box's edge the field is frozen there: du_H/dx = 2 * high^2 at most
    assert boxed[0, -1, 0] <= box[1][0] + 2 * box[1][0] ** 2 * 3.0 + 1e-9
    # a trajectory inside the box is the polynomial ODE's: same numbers with and without it
    xi = np.zeros((lib.n_terms, 2))
    xi[0], xi[1] = [0.5, 0.2], [-0.3, 0.4]
    args = (xi, np.array([[-0.5, 0.3]]), np.zeros((1, 2)))
    inside = make_panel_solver(lib.powers, np.array([1.0]), save, settings, box)(*args)
    plain = make_panel_solver(lib.powers, np.array([1.0]), save, settings)(*args)
    assert (np.asarray(plain) > box[0]).all() and (np.asarray(plain) < box[1]).all()
    np.testing.assert_array_equal(np.asarray(inside), np.asarray(plain))


@pytest.mark.behaviour
def test_fixed_global_scale_and_slab_leave_no_scale_parameters():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        spec = dynamics_spec("horseshoe", global_scale='"fixed"', slab='"fixed"', tau0="0.07")
        model, _ = build_model(simulate_panel(3, 4), spec)
        sampled = dynamics_spec("horseshoe", global_scale='"half_cauchy"', slab='"inverse_gamma"')
        model_s, _ = build_model(simulate_panel(3, 4), sampled)
    names = {v.name for v in model.free_RVs}
    assert not {"tau_a", "tau_b", "slab_c2"} & names
    assert {"tau_a", "tau_b", "slab_c2"} <= {v.name for v in model_s.free_RVs}
    assert float(model["tau"].eval()) == 0.07
    assert "tau" not in headline_variables(spec) and "tau" in headline_variables(sampled)
    with pytest.raises(SpecError, match="global_scale"):
        from bayescape.models.dynamics import horseshoe_settings

        horseshoe_settings(dynamics_spec("horseshoe", global_scale='"cauchy"'))


def _value_fn(model, name: str):
    """A deterministic of the model as a function of a point of value variables."""
    (out,) = model.replace_rvs_by_values([model[name]])
    return model.compile_fn(out, inputs=model.value_vars, on_unused_input="ignore")


@pytest.mark.math
def test_mean_rate_intercept_is_the_polynomial_with_hermite_squares():
    r"""With ``mean_rate_intercept`` the intercept is the rate at a typical state: the field
    equals :math:`\Xi'_0 + \sum_j \Xi_j \mathrm{He}(\cdot)` with :math:`u_k^2 \to u_k^2 - 1`,
    i.e. the constant row of Xi is intercept minus the pure-square rows (exact)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model, _ = build_model(simulate_panel(3, 4), dynamics_spec(mean_rate_intercept="true"))
    rng = np.random.default_rng(6)
    point = model.initial_point()
    point["intercept"] = np.array([0.7, 0.2])
    point["Xi_z"] = rng.normal(0, 1, point["Xi_z"].shape)
    xi = _value_fn(model, "Xi")(point)
    lib = make_library(STATES, 2)
    squares = [j for j, p in enumerate(lib.powers) if p.max() == 2]
    np.testing.assert_allclose(xi[0], point["intercept"] - xi[squares].sum(axis=0), rtol=1e-12)
    u = rng.normal(0, 1, (5, 2))
    hermite = library_features(u, lib.powers)
    hermite[:, squares] -= 1.0
    with_intercept = np.vstack([point["intercept"], xi[1:]])
    np.testing.assert_allclose(
        rhs(u, xi, lib.powers), hermite @ with_intercept, rtol=1e-12, atol=1e-12
    )


@pytest.mark.math
def test_mixed_offsets_are_the_same_prior_and_follow_the_information_rule():
    """Cells centred by the rule have density N(delta; 0, sd); the others N(delta / sd; 0, 1)
    with the Jacobian 1 / sd: the prior of delta is the same whichever way each is sampled."""
    from scipy.stats import norm

    from bayescape.models.dynamics import offset_information

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = simulate_panel(4, 4)
        guess = np.array([0.01, 1.0])  # little spread in HellaSwag's offsets, much in TQA's
        spec = dynamics_spec(
            offsets_centred='"auto"',
            offset_sd_guess="{ hellaswag = 0.01, truthfulqa = 1.0 }",
        )
        model, panel = build_model(df, spec)
    # the rule, by hand for family 0: guess^2 * sum (x - x0)^2 / var
    info = offset_information(panel, 0.02, guess)
    rows = panel.family_index == 0
    q = panel.scores[rows]
    var = (q * (1 - q) / panel.n_items[rows] + 0.02**2) / SCALE**2
    dx2 = (panel.x[rows] - panel.x0[0])[:, None] ** 2
    np.testing.assert_allclose(info[0], guess**2 * (dx2 / var).sum(axis=0), rtol=1e-12)
    centred = info > 1.0
    assert centred.any() and not centred.all()  # the simulated panel mixes both
    sd = np.array([0.3, 0.6])
    raw = np.random.default_rng(7).normal(0, 1, centred.shape)
    delta = np.where(centred, raw, sd * raw)
    lp = model.compile_logp(vars=[model["delta_raw"]], sum=True)
    point = model.initial_point()
    point["offset_sigma_log__"] = np.log(sd)
    point["delta_raw"] = raw
    jacobian = np.where(centred, 0.0, np.log(sd)).sum()
    assert float(lp(point)) - jacobian == pytest.approx(norm.logpdf(delta, 0, sd).sum(), rel=1e-10)
    np.testing.assert_allclose(_value_fn(model, "delta")(point), delta, rtol=1e-12)
