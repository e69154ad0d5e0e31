"""The rank-histogram figure of a calibration: bars are the rank counts, the band is binomial."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bayescape.analysis import summarise_calibration
from bayescape.report import rank_histograms, save_figure


def _records(n_sims: int, seed: int = 0) -> list[dict]:
    """Records shaped like calibration_fit's: 3 components of c and one scalar, L = 19."""
    rng = np.random.default_rng(seed)
    out = []
    for s in range(n_sims):
        ranks = {f"c[{k}]": int(rng.integers(0, 20)) for k in "abc"}
        ranks["mu_c"] = int(min(19, rng.integers(0, 20) + 5))  # biased upwards
        covered = {k: {0.5: True, 0.8: True, 0.9: True, 0.95: True} for k in ranks}
        out.append(
            {
                "index": s,
                "ranks": ranks,
                "n_ranks": 19,
                "covered": covered,
                "population": "mu_c",
                "bootstrap_low": 9.0,
                "bootstrap_high": 10.0,
                "bootstrap_covered": True,
                "divergences": 0,
                "max_rhat": 1.0,
            }
        )
    return out


@pytest.mark.math
def test_bars_are_the_binned_ranks_and_the_band_is_the_binomial_interval(tmp_path):
    cal = summarise_calibration(_records(120), n_bins=5)
    fig, axes = rank_histograms(cal, n_bins=5)
    assert [ax.get_title().split(" ")[0] for ax in axes] == ["c", "mu_c"]
    mu = cal.ranks.loc[cal.ranks["group"] == "mu_c", "rank"].to_numpy()
    bars = [p.get_height() for p in axes[1].patches if p.get_gid() == "ranks"]
    np.testing.assert_array_equal(bars, np.histogram(mu, bins=[0, 4, 8, 12, 16, 20])[0])
    band = next(c for c in axes[1].collections if c.get_gid() == "band")
    ys = band.get_paths()[0].vertices[:, 1]
    lo, hi = stats.binom.ppf([0.005, 0.995], 120, 0.2)
    assert ys.min() == pytest.approx(lo) and ys.max() == pytest.approx(hi)
    # the biased parameter's top bin lies above the band, as a reader should see
    assert bars[-1] > hi
    assert save_figure(fig, tmp_path / "ranks.png").read_bytes()[:4] == b"\x89PNG"
