"""`python -m analysis <command>`: the commands the Makefile and analysts use.

Exit codes: 0 success; 1 some team reports failed (the others were published); 2 bad input
(dataset, params, month or arguments) — nothing was rendered or published.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
import tempfile
from pathlib import Path

__all__ = ["main"]


def _data(value: str) -> str | Path:
    """--data: a dataset folder, or a postgresql:// URL kept as written (a Path would fold its
    "//")."""
    from analysis.data.postgres import check_url, is_url

    if not is_url(value):
        return Path(value)
    try:
        return check_url(value)
    except ValueError as exc:  # argparse's own message would repeat the value, password and all
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_data(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        type=_data,
        required=True,
        help="dataset directory (see docs/data-contract.md), or a postgresql:// URL",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synth", help="generate the sample dataset")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--teams", type=int, default=None, help="number of teams (default 6)")
    p.add_argument("--reps-per-team", type=int, default=None, help="default 10")
    p.add_argument("--months", type=int, default=None, help="months of history (default 36)")
    p.add_argument("--end-month", default=None, help="last month, YYYY-MM (default 2026-10)")
    p.add_argument("--scale", type=float, default=None, help="volume multiplier (default 1.0)")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.add_argument("--overwrite", action="store_true", help="replace an existing dataset at --out")
    p.add_argument(
        "--bench-scale",
        type=float,
        default=None,
        metavar="S",
        help="instead of the sample, the benchmark company at scale S as Parquet (1 = 300 teams, "
        "3,000 seats, ~5M opportunities, ~50M activities; rows grow linearly with S)",
    )
    p.add_argument("--jobs", type=int, default=2, help="worker processes for --bench-scale")

    p = sub.add_parser("validate", help="validate a dataset against the data contract")
    _add_data(p)

    p = sub.add_parser(
        "import", help="turn CRM exports (CSV, Excel, Parquet) into a dataset, with a mapping"
    )
    p.add_argument("--mapping", required=True, type=Path, help="mapping YAML (see mappings/)")
    p.add_argument("--out", required=True, type=Path, help="dataset folder to write")
    p.add_argument(
        "sources",
        nargs="+",
        type=_data,
        help="source files named in the mapping, and a postgresql:// URL for its {sql: ...} sources",
    )
    p.add_argument("--format", choices=["csv", "parquet"], default="csv", help="default csv")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    p.add_argument(
        "--params",
        type=Path,
        default=None,
        help="also write a params folder for the imported teams (defaults + one file per team)",
    )
    p.add_argument(
        "--lang",
        choices=["th", "en"],
        default=None,
        help="with --params: the reports' language (default: Thai for a THB or Bangkok dataset, "
        "else English)",
    )

    p = sub.add_parser("kpis", help="KPIs of the company, a team or a rep for one month")
    _add_data(p)
    p.add_argument("--month", required=True, help="YYYY-MM")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--team", help="team_id")
    scope.add_argument("--rep", help="rep_id")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("funnel", help="pipeline conversion, waterfall and win rates for one month")
    _add_data(p)
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--team", help="team_id (default: the whole company)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("forecast", help="revenue forecast with its backtest, for one month")
    _add_data(p)
    p.add_argument("--month", required=True, help="YYYY-MM: the last month of history used")
    p.add_argument("--team", help="team_id (default: the whole company)")
    p.add_argument("--horizon", type=int, default=None, help="months ahead (default: params)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("effects", help="skill-assessment and training effects, for one month")
    _add_data(p)
    p.add_argument("--month", required=True, help="YYYY-MM: the last month of data used")
    p.add_argument("--team", help="team_id (default: the whole company)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("report", help="render the monthly reports of every team and the company")
    _add_data(p)
    p.add_argument(
        "--month", default=None, help="YYYY-MM (default: latest complete month in the data)"
    )
    p.add_argument(
        "--teams",
        default=None,
        help="comma-separated team ids (default: every team of the dataset, and company)",
    )
    p.add_argument(
        "--params",
        type=Path,
        default=None,
        help="params folder (default: params/); a team without a file there uses _defaults.yaml",
    )
    p.add_argument(
        "--reports", type=Path, default=None, help="where to publish (default: reports/)"
    )
    p.add_argument(
        "--build", type=Path, default=None, help="where the executed notebooks go (default: build/)"
    )
    p.add_argument("--renderer", default="auto", choices=["auto", "builtin", "quarto"])
    p.add_argument("--jobs", type=int, default=None, help="teams rendered at once (default: cores)")
    p.add_argument(
        "--force", action="store_true", help="re-render teams whose inputs have not changed"
    )

    p = sub.add_parser(
        "lab",
        help="JupyterLab at the project root, on the project's kernel, charts inline",
        description="Starts `jupyter lab` with the project root as its root folder (README, docs, "
        "data and notebooks visible). Arguments after `lab` go to jupyter lab.",
    )

    p = sub.add_parser(
        "docs", help="write docs/data-contract.md, docs/kpis.md and docs/brief.md from the code"
    )
    p.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    return parser


def _json_default(value):
    return str(value)


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def cmd_synth(args) -> int:
    from analysis.data.synth import SynthConfig, write_sample

    overrides = {
        k: v
        for k, v in dict(
            seed=args.seed,
            n_teams=args.teams,
            reps_per_team=args.reps_per_team,
            months=args.months,
            end_month=args.end_month,
            scale=args.scale,
        ).items()
        if v is not None
    }
    if args.end_month is not None:
        from analysis.months import parse_month

        parse_month(args.end_month, what="--end-month")
    if args.bench_scale is not None and overrides:
        print(
            "error: --bench-scale sets the company itself; drop --teams/--scale/...",
            file=sys.stderr,
        )
        return 2
    cfg = SynthConfig(**overrides)
    out: Path = args.out
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        print(f"error: {out} already holds files; pass --overwrite to replace it", file=sys.stderr)
        return 2
    # write next to the target, then swap, so a failed run never leaves half a dataset
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        if args.bench_scale is not None:
            from analysis.data.synth import write_scaled

            write_scaled(tmp, args.bench_scale, jobs=args.jobs)
        else:
            write_sample(tmp, cfg, fmt=args.format)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if args.bench_scale is not None:
        print(f"benchmark dataset (scale {args.bench_scale:g}, Parquet) written to {out}")
    else:
        print(
            f"sample dataset written to {out} ({cfg.n_teams} teams, {cfg.months} months to "
            f"{cfg.end_month})"
        )
    return 0


def cmd_validate(args) -> int:
    from analysis.data.dataset import load_dataset
    from analysis.data.history import describe, history

    ds = load_dataset(args.data)
    rows = ", ".join(f"{n} {ds.tables.rows(n):,}" for n in ds.tables)
    print(f"{args.data}: valid ({rows}); latest complete month {ds.latest_complete_month}")
    print(describe(history(ds.tables)))  # the tables present
    for issue in ds.warnings:
        print(f"  - {issue}")
    return 0


def cmd_import(args) -> int:
    import time

    from analysis.data.dataset import load_dataset
    from analysis.data.history import describe, history
    from analysis.data.importer import import_dataset
    from analysis.paths import PARAMS_DIR
    from analysis.reports.scaffold import scaffold_params

    start = time.perf_counter()
    result = import_dataset(
        args.mapping, args.sources, args.out, fmt=args.format, overwrite=args.overwrite
    )
    rows = ", ".join(f"{n} {k:,}" for n, k in result.rows.items())
    print(f"imported {args.out} ({rows}) in {time.perf_counter() - start:.1f} s")
    print(describe(history(result.tables)))
    for issue in result.warnings:
        print(f"  - {issue}")
    if args.params is not None:
        ds = load_dataset(result.out)
        written = scaffold_params(ds, args.params, PARAMS_DIR / "_defaults.yaml", lang=args.lang)
        print(
            f"params: {len(written)} file(s) written to {args.params} (existing ones kept); "
            "targets derived from the data's last 12 months, marked provisional"
        )
    return 0


def cmd_kpis(args) -> int:
    from analysis.data.dataset import load_dataset
    from analysis.metrics.kpis import KPIS, kpis_for, missing_kpis
    from analysis.metrics.scorecards import rag_status
    from analysis.months import parse_month
    from analysis.reports.params import load_targets

    month = parse_month(args.month, what="--month")
    ds = load_dataset(args.data)
    ds.resolve_month(str(month), what="--month")
    values = kpis_for(ds, month, team=args.team, rep=args.rep)
    level = "rep" if args.rep else "team" if args.team else "company"
    scope = {"level": level, "month": str(month)}
    if args.team:
        scope["team_id"] = args.team
    if args.rep:
        scope["rep_id"] = args.rep
    # targets apply to teams and the company (params/); reps are coached, not scored against them
    targets = {} if args.rep else load_targets(args.team)
    if args.json:
        print(
            json.dumps(
                {
                    "scope": scope,
                    "kpis": {k: _clean(v) for k, v in values.items()},
                    "missing": missing_kpis(ds),
                    "targets": targets,
                    "status": {
                        k: rag_status(values[k], v, KPIS[k].higher_is_better)
                        for k, v in targets.items()
                    },
                },
                ensure_ascii=False,
                indent=2,
                default=_json_default,
            )
        )
    else:
        print(" ".join(f"{k}={v}" for k, v in scope.items()))
        missing = missing_kpis(ds)
        for k, v in values.items():
            why = f"  ({missing[k]})" if k in missing else ""
            print(f"  {k:<34} {'null' if v is None else v}{why}")
    return 0


def _scope(team: str | None, month) -> dict:
    """The "scope" object of every --json answer."""
    scope = {"level": "team" if team else "company", "month": str(month)}
    return scope | ({"team_id": team} if team else {})


def _records(frame) -> list[dict]:
    """DataFrame rows as JSON-ready dicts: NaN -> null, periods and timestamps -> strings."""
    import pandas as pd

    out = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, pd.Period | pd.Timestamp):
                value = str(value)
            elif hasattr(value, "item"):
                value = value.item()
            clean[key] = None if isinstance(value, float) and not math.isfinite(value) else value
        out.append(clean)
    return out


def cmd_funnel(args) -> int:
    from analysis import funnel
    from analysis.data.dataset import load_dataset
    from analysis.months import parse_month

    month = parse_month(args.month, what="--month")
    ds = load_dataset(args.data)
    ds.resolve_month(str(month), what="--month")
    fd = funnel.prepare(ds, month, args.team)
    payload = {
        "scope": _scope(args.team, month),
        "waterfall": {k: _clean(v) for k, v in funnel.waterfall(fd).items()},
        "pipeline": {k: _clean(v) for k, v in funnel.pipeline_health(fd).items()},
        "step_conversion": _records(funnel.step_conversion(fd)),
        "flow_conversion": _records(funnel.flow_conversion(fd)),
        "flow_transitions": _records(funnel.flow_transitions(fd)),
        "cohorts": _records(funnel.cohort_conversion(fd)),
        "win_rates": {
            by: _records(funnel.win_rates(fd, by))
            for by in ("stage_reached", "product", "deal_type", "lead_source", "rep")
        },
        "rep_win_rate_test": _records(funnel.rep_win_rate_test(fd))[0],
        "time_in_stage": _records(funnel.time_in_stage(fd)),
        "slippage": _records(funnel.slippage(fd)),
        "lead_funnel": _records(funnel.lead_funnel(fd)),
    }
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default))
    else:
        w = payload["waterfall"]
        moves = (
            f" + increased {w['increased']:,.0f} - decreased {w['decreased']:,.0f}"
            if w["increased"] is not None
            else ""
        )
        print(
            f"{payload['scope']}: open {w['open_start']:,.0f} + created {w['created']:,.0f}"
            + (f" + reopened {w['reopened']:,.0f}" if w["reopened"] is not None else "")
            + f"{moves} - won {w['won']:,.0f}"
            f" - lost {w['lost']:,.0f} + unexplained {w['unexplained']:,.0f}"
            f" = {w['open_end']:,.0f}"
        )
        for row in payload["step_conversion"]:
            print(
                f"  {row['step']:<32} {row['rate']:.1%} ({row['ci_low']:.1%}-{row['ci_high']:.1%}, n={row['resolved']})"
            )
    return 0


def cmd_forecast(args) -> int:
    from analysis import forecast
    from analysis.data.dataset import load_dataset
    from analysis.months import parse_month
    from analysis.reports.params import load_forecast_params

    month = parse_month(args.month, what="--month")
    if args.horizon is not None and not 1 <= args.horizon <= 24:
        raise ValueError(f"--horizon: {args.horizon} must be between 1 and 24 months")
    options = load_forecast_params(args.team).options(args.horizon)
    ds = load_dataset(args.data)
    ds.resolve_month(str(month), what="--month")
    data = forecast.prepare(ds, month, args.team)
    result = forecast.forecast_scope(data, args.team, options)
    metrics = result.metrics
    rollup = forecast.category_rollup(data, args.team)
    payload = {
        "scope": _scope(args.team, month),
        "horizon": result.horizon,
        "prophet_status": result.prophet_status,
        "notes": result.notes,
        "headline": result.headline,
        "combination": {"members": result.members, "band_scale": result.band_scale},
        "forecast": _records(result.forecast),
        "backtest": {
            "cutoffs": result.cutoffs,
            "models": {
                model: {
                    k: _clean(v)
                    for k, v in metrics[(metrics["model"] == model) & (metrics["h"] == 0)]
                    .iloc[0][["mape", "smape", "mase", "coverage_80", "n"]]
                    .to_dict()
                    .items()
                }
                for model in forecast.MODELS
                if ((metrics["model"] == model) & (metrics["h"] == 0)).any()
            },
            "by_horizon": _records(metrics[metrics["h"] > 0]),
        },
        "blend_weights": _records(result.weights),
        "quota_outlook": {k: _clean(v) for k, v in result.quota.items()},
        "forecast_categories": None if rollup is None else _records(rollup),
    }
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default))
        return 0
    print(
        f"{payload['scope']} — headline: {result.headline}; combination: "
        f"{', '.join(result.members) or '-'}; statistical models: {result.prophet_status}"
    )
    print(f"  {'month':<8} " + " ".join(f"{m:>14}" for m in forecast.MODELS))
    table = result.forecast.pivot(index="month", columns="model", values="yhat")
    for month_, row in table.iterrows():
        print(
            f"  {str(month_):<8} "
            + " ".join(f"{row.get(m, float('nan')):>14,.0f}" for m in forecast.MODELS)
        )
    for model, m in payload["backtest"]["models"].items():
        print(f"  backtest {model:<15} MASE {m['mase']:.2f}  sMAPE {m['smape']:.1%}")
    return 0


def cmd_effects(args) -> int:
    from analysis import effects
    from analysis.data.dataset import load_dataset
    from analysis.months import parse_month

    month = parse_month(args.month, what="--month")
    ds = load_dataset(args.data)
    ds.resolve_month(str(month), what="--month")
    table = effects.effects_table(effects.prepare(ds, month), args.team)
    payload = {
        "scope": _scope(args.team, month),
        "results": _records(table),
    }
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default))
        return 0
    print(payload["scope"])
    for r in payload["results"]:
        what = r["course_id"] or r["skill"]
        print(
            f"  {r['question']:<23} {what:<18} {r['outcome']:<21} {r['estimate']:>8.3f} "
            f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}] p_adj={r['p_adjusted']:.3f} n={r['n']:<3} "
            f"{r['verdict']}{' (company)' if r['pooled'] else ''}"
        )
    return 0


def cmd_report(args) -> int:
    from analysis.reports.batch import run_monthly
    from analysis.reports.progress import summary_table

    teams = None
    if args.teams is not None:
        teams = [t.strip() for t in args.teams.split(",") if t.strip()]
        if not teams:  # " " or "," rendered every team before
            raise ValueError(
                f"--teams: no team id in {args.teams!r}; give ids separated by commas "
                "(e.g. bangkok,phuket), or leave TEAMS out for every team"
            )
    results = run_monthly(
        args.data,
        month=args.month,
        teams=teams,
        renderer=args.renderer,
        jobs=args.jobs,
        force=args.force,
        progress=sys.stderr.isatty(),
        params_dir=args.params,
        reports_dir=args.reports,
        build_dir=args.build,
    )
    failed = [r for r in results if not r.ok]
    kept = [r for r in results if r.skipped]
    print()
    print(summary_table(results))
    print(
        f"{len(results) - len(failed)} of {len(results)} team report(s) published"
        + (f" ({len(kept)} unchanged, kept; FORCE=1 re-renders them)" if kept else "")
        + (f"; failed: {', '.join(r.team_id for r in failed)}" if failed else "")
    )
    return 1 if failed else 0


COUNT = re.compile(r"<!-- count:(\w+) -->[^<]*<!-- /count -->")


def readme_with_counts(text: str) -> str:
    """`text` with every `<!-- count:NAME -->N<!-- /count -->` set to the count it names
    (kpis, kpi_families, tables, bad_inputs), so no count in the README is typed by hand."""
    from analysis.data.contract import TABLES
    from analysis.metrics.kpis import KPIS
    from analysis.metrics.registry import FAMILIES
    from analysis.paths import PROJECT_ROOT

    counts = {"kpis": len(KPIS), "kpi_families": len(FAMILIES), "tables": len(TABLES)}
    # the bad-input corpus (tests/test_corpus.py): one file per failure it must name
    counts["bad_inputs"] = len(list((PROJECT_ROOT / "tests/fixtures/bad").glob("*--*.csv")))

    def fill(m: re.Match) -> str:
        if m.group(1) not in counts:
            raise ValueError(
                f"README.md: unknown count {m.group(1)!r} (one of {', '.join(counts)})"
            )
        return f"<!-- count:{m.group(1)} -->{counts[m.group(1)]}<!-- /count -->"

    return COUNT.sub(fill, text)


def cmd_docs(args) -> int:
    from analysis.data.contract import contract_markdown
    from analysis.metrics.kpis import kpi_markdown
    from analysis.paths import PROJECT_ROOT
    from analysis.review import rules_markdown

    stale = []
    readme = PROJECT_ROOT / "README.md"
    for target, text in (
        (PROJECT_ROOT / "docs" / "data-contract.md", contract_markdown()),
        (PROJECT_ROOT / "docs" / "kpis.md", kpi_markdown()),
        (PROJECT_ROOT / "docs" / "brief.md", rules_markdown()),
        (readme, readme_with_counts(readme.read_text(encoding="utf-8"))),
    ):
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(str(target))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run `python -m analysis docs`", file=sys.stderr)
        return 1
    return 0


def cmd_lab(args) -> int:
    """Replace this process with JupyterLab. MPLBACKEND is dropped from its environment: the
    batch and the tests render figures with Agg, but kernels started from Lab must get the inline
    backend (ipykernel's default), or no chart is ever displayed."""
    import os

    from analysis.paths import PROJECT_ROOT

    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    (PROJECT_ROOT / "notebooks" / "scratch").mkdir(exist_ok=True)  # git-ignored, for your own
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        f"--ServerApp.root_dir={PROJECT_ROOT}",
        "--LabApp.default_url=/lab/tree/notebooks/explore.ipynb",  # the analysts' first notebook
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    cmd += [a for a in args.jupyter_args if a != "--"]  # e.g. --port 8899 --no-browser
    os.execve(sys.executable, cmd, env)
    return 0  # not reached


COMMANDS = {
    "synth": cmd_synth,
    "validate": cmd_validate,
    "import": cmd_import,
    "kpis": cmd_kpis,
    "report": cmd_report,
    "docs": cmd_docs,
    "funnel": cmd_funnel,
    "forecast": cmd_forecast,
    "effects": cmd_effects,
    "lab": cmd_lab,
}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "lab":  # everything after `lab` is jupyter lab's
        args.jupyter_args = extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    from analysis.data.validate import DataValidationError

    try:
        return COMMANDS[args.command](args)
    except DataValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
