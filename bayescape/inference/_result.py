"""A fitted model: posterior, data, specification and diagnostics; netCDF storage."""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import xarray as xr

from bayescape._draws import flatten_chains
from bayescape.data import DataWarning, data_hash, load_dataset
from bayescape.errors import BayescapeError, ResultMismatchError
from bayescape.inference._diagnostics import Diagnostics, diagnose
from bayescape.models import FamilyPanel, ModelKind, ModelSpec, model_kind, parse_spec
from bayescape.models.dynamics import DynamicsPanel

_DATA_GROUP = "bayescape_data"
_SPEC_GROUP = "bayescape_spec"


@dataclass(repr=False)
class FitResult:
    """A fitted model.

    Attributes
    ----------
    idata
        Posterior and sampler statistics (ArviZ DataTree) with coords ``family``, ``model``,
        ``covariate``.
    data
        The validated panel the model was fitted to.
    spec
        The model specification; ``spec.hash`` is stored with the result.
    info
        Provenance: package version, data hash, spec hash, seed, sampler, draws, timings.
    """

    idata: xr.DataTree
    data: pd.DataFrame
    spec: ModelSpec
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._panel: FamilyPanel | None = None
        self._diagnostics: Diagnostics | None = None

    def __repr__(self) -> str:
        """One line: ``<bayescape.Result phase on leaderboard_v1: 147 models, ...>``.

        Model, data, numbers of models and families, chains x draws, and the diagnostics gate;
        ``result.idata`` and ``result.data`` print the arrays themselves.
        """
        source = Path(str(self.info.get("data_source") or "<DataFrame>")).name
        parts = [f"{len(self.data)} models"]
        if "family" in self.data:
            parts.append(f"{self.data['family'].nunique()} families")
        if "posterior" in self.idata.children:
            sizes = self.idata["posterior"].ds.sizes
            parts.append(f"{sizes.get('chain', 0)} chains x {sizes.get('draw', 0)} draws")
            try:
                parts.append("gate passed" if self.diagnostics.ok else "gate FAILED")
            except Exception:  # a repr must not raise: a tree without what the gate reads
                parts.append("gate not computed")
        else:
            parts.append("no posterior")
        return f"<bayescape.{type(self).__name__} {self.spec.name} on {source}: {', '.join(parts)}>"

    @property
    def panel(self) -> FamilyPanel | DynamicsPanel:
        """The arrays the model was built from (recomputed from ``data`` and ``spec``)."""
        if self._panel is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                self._panel = self.kind.prepare_panel(self.data, self.spec)
        return self._panel

    @property
    def kind(self) -> ModelKind:
        """The kind of model fitted (:func:`~bayescape.models.model_kind` of the spec)."""
        return model_kind(self.spec)

    @property
    def diagnostics(self) -> Diagnostics:
        """R-hat, ESS and divergences of the headline parameters, with the pass/fail gate."""
        if self._diagnostics is None:
            self._diagnostics = diagnose(self.idata, self.kind.headline_variables(self.spec))
        return self._diagnostics

    @property
    def posterior(self) -> xr.Dataset:
        """The posterior draws as an xarray Dataset (dims chain, draw, ...)."""
        return self.idata.posterior.ds

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of ``name`` with chains flattened: shape (chains x draws, ...)."""
        return flatten_chains(self.posterior[name])

    def family_rows(self, family: str, data: pd.DataFrame | str | None = None) -> pd.DataFrame:
        """Rows of ``family`` in ``data`` (default: the fit's dataset, reloaded from its source).

        The reload finds families left out of the fit (``exclude_families``), which
        ``self.data`` no longer holds.
        """
        if data is None:
            source = str(self.info.get("data_source", ""))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DataWarning)
                    data = load_dataset(source)
            except Exception as exc:  # a user file that moved, a DataFrame fit
                raise BayescapeError(
                    f"cannot reload the fit's data {source!r} to find family "
                    f"{family!r}: pass data=... (the panel holding it)"
                ) from exc
        elif isinstance(data, str):
            data = load_dataset(data)
        rows = data[data["family"] == family]
        if rows.empty:
            raise BayescapeError(
                f"family {family!r} is not in the data; families: "
                f"{', '.join(sorted(data['family'].unique()))}"
            )
        return rows

    def save(self, path: str | os.PathLike) -> Path:
        """Write the result to netCDF atomically (temporary file, then rename).

        The file holds the posterior, sampler statistics, the data (CSV text), the spec (TOML
        text) and the provenance in its attributes; :func:`load_result` reads it back.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tree = self.idata.copy()
        csv = self.data.to_csv(index=False, lineterminator="\n")
        tree[_DATA_GROUP] = xr.DataTree(xr.Dataset({"csv": ((), csv)}))
        tree[_SPEC_GROUP] = xr.DataTree(xr.Dataset({"toml": ((), self.spec.text)}))
        attrs = {k: v for k, v in self.info.items() if v is not None}
        attrs.update(
            spec_hash=self.spec.hash,
            data_hash=data_hash(self.data),
            model=self.spec.name,
            status=self.diagnostics.status,
        )
        tree.attrs = {k: (v if isinstance(v, int | float) else str(v)) for k, v in attrs.items()}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tree.to_netcdf(tmp, engine="h5netcdf")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        """Read a result written by :meth:`save`, checking its spec and data hashes."""
        path = Path(path)
        if not path.exists():
            raise BayescapeError(
                f"{path}: no such result file; create one with 'bayescape fit --out FILE.nc'"
            )
        try:
            with xr.open_datatree(path, engine="h5netcdf") as opened:
                tree = opened.load()
        except (OSError, ValueError) as exc:
            raise BayescapeError(f"{path}: not a bayescape result (netCDF): {exc}") from exc
        if _DATA_GROUP not in tree.children or _SPEC_GROUP not in tree.children:
            raise ResultMismatchError(f"{path}: not written by bayescape (no data/spec groups)")
        csv = str(tree[_DATA_GROUP].ds["csv"].values)
        spec = parse_spec(str(tree[_SPEC_GROUP].ds["toml"].values), f"{path}:{_SPEC_GROUP}")
        info = dict(tree.attrs)
        if spec.hash != info.get("spec_hash"):
            raise ResultMismatchError(
                f"{path}: stored spec hash {info.get('spec_hash')} does not "
                f"match its spec text ({spec.hash}); the file was altered"
            )
        if hashlib.sha256(csv.encode()).hexdigest()[:16] != info.get("data_hash"):
            raise ResultMismatchError(
                f"{path}: stored data do not match their hash "
                f"{info.get('data_hash')}; the file was altered"
            )
        data = pd.read_csv(io.StringIO(csv))
        data.attrs.update(source=info.get("data_source", ""), data_hash=info.get("data_hash"))
        idata = tree.copy()
        for group in (_DATA_GROUP, _SPEC_GROUP):
            del idata[group]
        idata.attrs = {}
        return cls(idata=idata, data=data, spec=spec, info=info)


def load_result(path: str | os.PathLike) -> FitResult:
    """Read a saved result (see :meth:`FitResult.save`)."""
    return FitResult.load(path)
