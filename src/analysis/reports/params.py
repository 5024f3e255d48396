"""Typed report parameters: params/_defaults.yaml + params/<team_id>.yaml, unknown keys are errors.

Flow: params file -> `TeamParams` (validated here) -> papermill parameters -> the notebook
re-validates them with `NotebookParams` -> the executed notebook in build/ records the run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from analysis.forecast.models import ForecastOptions
from analysis.metrics.registry import KPIS
from analysis.months import parse_month
from analysis.paths import PARAMS_DIR, PROJECT_ROOT, SAMPLE_DATA_DIR

__all__ = [
    "TeamParams",
    "ForecastParams",
    "ForecastNotebookParams",
    "load_forecast_params",
    "load_company_params",
    "COMPANY_ID",
    "NotebookParams",
    "ParamsError",
    "load_team_params",
    "load_targets",
    "targets_provisional",
    "list_team_ids",
    "default_data_dir",
    "validate_team_id",
]

TEAM_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DEFAULTS_FILE = "_defaults.yaml"


class ParamsError(ValueError):
    """A params file is invalid; the message names the file and the keys."""


def validate_team_id(value: str) -> str:
    """A team id is a slug (a-z, 0-9, single hyphens): safe as a path segment, never '../'."""
    if not isinstance(value, str) or not TEAM_ID_RE.match(value):
        raise ValueError(f"team id {value!r} must be a slug of a-z, 0-9 and single hyphens")
    return value


class ForecastParams(BaseModel):
    """Forecast settings (`forecast:` in params files). Prophet's were chosen on real monthly
    series (`make bench`, bench/bench_forecast.py; docs/forecasting.md), not on the sample."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    horizon: int = Field(6, ge=1, le=24, description="months to forecast after the report month")
    folds: int = Field(12, ge=3, le=36, description="backtest cutoffs (the last N months)")
    trailing_months: int = Field(6, ge=1, le=24, description="window of the trailing-mean baseline")
    yearly_fourier_order: int = Field(
        5, ge=0, le=10, description="Prophet yearly seasonality terms (0 = none)"
    )
    working_days_regressor: bool = Field(
        False, description="Prophet regressor: Thai working days per month (TH public holidays)"
    )
    changepoint_prior_scale: float = Field(
        0.01, gt=0, le=10, description="Prophet trend flexibility"
    )
    prophet_log_scale: bool = Field(
        True, description="Prophet on log revenue when every month is positive"
    )
    min_months: int = Field(
        24, ge=12, description="below: Prophet is low-confidence and fits no seasonality"
    )
    min_months_prophet: int = Field(
        12, ge=3, description="below: ETS, Theta, ARIMA and Prophet are withheld"
    )
    calibration_months: int = Field(
        12, ge=3, le=36, description="origins the pipeline model learns its rates from"
    )
    samples: int = Field(1000, ge=100, le=10000, description="Prophet predictive samples")

    def options(self, horizon: int | None = None):
        """The `forecast.ForecastOptions` these settings describe (`horizon` overrides)."""
        values = self.model_dump()
        if horizon is not None:
            values["horizon"] = horizon
        return ForecastOptions(**values)


class TeamParams(BaseModel):
    """One team's report settings (params/<team_id>.yaml over params/_defaults.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    team_id: str = Field(description="team_id in the dataset's teams table")
    display_name: str | None = Field(
        None, description="name shown in reports; default teams.team_name"
    )
    lang: Literal["th", "en"] = Field("th", description="report language")
    buddhist_era: bool = Field(
        True, description="Thai reports show the Buddhist-era year (2569 = 2026)"
    )
    recipients: list[str] = Field(default_factory=list, description="who the report is sent to")
    targets: dict[str, float] = Field(
        default_factory=dict,
        description="KPI key -> target, for red/amber/green status (docs/kpis.md)",
    )
    targets_provisional: bool = Field(
        False,
        description="the targets were derived from the data's own history at import (the median "
        "of its last 12 complete months), not set by anyone; the reports say so until this key "
        "is removed",
    )
    notes: str | None = Field(None, description="free text for the team's analyst")
    forecast: ForecastParams = Field(
        default_factory=ForecastParams, description="forecast settings (see ForecastParams)"
    )

    @field_validator("team_id")
    @classmethod
    def _team_id(cls, v: str) -> str:
        return validate_team_id(v)

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(KPIS))
        if unknown:
            raise ValueError(
                f"unknown KPI(s) {', '.join(unknown)}; valid keys are listed in docs/kpis.md"
            )
        return v


class NotebookParams(BaseModel):
    """The parameters every report notebook takes; the notebook validates its cell with this."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    team: str | None = Field(None, description="team_id; None = the whole company")
    month: str | None = Field(None, description="YYYY-MM; None = latest complete month in the data")
    data_dir: str | None = Field(None, description="dataset directory; None = the sample data")
    lang: Literal["th", "en"] = Field("th", description="report language")

    @field_validator("team")
    @classmethod
    def _team(cls, v: str | None) -> str | None:
        return None if v is None else validate_team_id(v)

    @field_validator("month")
    @classmethod
    def _month(cls, v: str | None) -> str | None:
        if v is not None:
            parse_month(v)
        return v


class ForecastNotebookParams(NotebookParams):
    """The revenue-forecast notebook's parameters: the common ones plus the horizon."""

    horizon: int | None = Field(
        None, ge=1, le=24, description="months to forecast; None = the team's params"
    )


def default_data_dir() -> Path:
    """AEM_DATA_DIR when set (tests, batch runs; relative to the project root), else data/sample."""
    value = os.environ.get("AEM_DATA_DIR")
    return SAMPLE_DATA_DIR if not value else PROJECT_ROOT / value


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ParamsError(f"{path}: must be a mapping of keys to values")
    return data


def _problems(exc: ValidationError) -> str:
    """pydantic's errors as 'key.sub: message; ...' (the file's name is added by the caller)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors()
    )


COMPANY_ID = "company"  # reports/<month>/company/: the company-wide report


def load_company_params(params_dir: Path = PARAMS_DIR) -> TeamParams:
    """The company report's settings: params/_defaults.yaml alone (no team overrides)."""
    defaults_path = params_dir / DEFAULTS_FILE
    defaults = _read_yaml(defaults_path) if defaults_path.is_file() else {}
    defaults.pop("team_id", None)
    try:
        return TeamParams(team_id=COMPANY_ID, **defaults)
    except ValidationError as exc:
        raise ParamsError(f"{defaults_path}: {_problems(exc)}") from None


def _scope_params(team_id: str | None, params_dir: Path) -> TeamParams:
    """A team's params (its file over the defaults); the defaults alone for the company or for a
    team without a params file (a notebook run in JupyterLab for any team)."""
    if team_id is not None and (params_dir / f"{team_id}.yaml").is_file():
        return load_team_params(team_id, params_dir)
    return load_company_params(params_dir)


def load_targets(team_id: str | None, params_dir: Path = PARAMS_DIR) -> dict[str, float]:
    """KPI targets of a team (its params over the defaults), or the defaults for the company or a
    team without a params file."""
    return dict(_scope_params(team_id, params_dir).targets)


def targets_provisional(team_id: str | None, params_dir: Path = PARAMS_DIR) -> bool:
    """Whether a team's targets (or the company's) are still the ones derived at import."""
    return _scope_params(team_id, params_dir).targets_provisional


def load_forecast_params(team_id: str | None, params_dir: Path = PARAMS_DIR) -> ForecastParams:
    """A team's forecast settings (its params over the defaults); the defaults for the company or a
    team without a params file."""
    return _scope_params(team_id, params_dir).forecast


def list_team_ids(params_dir: Path = PARAMS_DIR) -> list[str]:
    """Team ids with a params file, sorted."""
    return sorted(p.stem for p in params_dir.glob("*.yaml") if not p.name.startswith("_"))


def load_team_params(team_id: str, params_dir: Path = PARAMS_DIR) -> TeamParams:
    """Load params/<team_id>.yaml over the defaults; ParamsError names the file and bad keys."""
    validate_team_id(team_id)
    path = params_dir / f"{team_id}.yaml"
    if not path.is_file():
        raise ParamsError(
            f"{path}: no params file for team {team_id!r} (teams with params: "
            f"{', '.join(list_team_ids(params_dir)) or 'none'})"
        )
    defaults_path = params_dir / DEFAULTS_FILE
    merged = _read_yaml(defaults_path) if defaults_path.is_file() else {}
    own = _read_yaml(path)
    # targets and forecast settings merge key by key, so a team overrides one without restating
    # the others
    nested = {
        key: {**(merged.get(key) or {}), **(own.get(key) or {})} for key in ("targets", "forecast")
    }
    merged.update(own)
    merged.update({key: value for key, value in nested.items() if value})
    merged.setdefault("team_id", team_id)
    if merged["team_id"] != team_id:
        raise ParamsError(f"{path}: team_id {merged['team_id']!r} does not match the file name")
    try:
        return TeamParams(**merged)
    except ValidationError as exc:
        raise ParamsError(f"{path}: {_problems(exc)}") from None
