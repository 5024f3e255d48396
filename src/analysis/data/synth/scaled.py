"""The benchmark company: the sample's generator run in shards of teams, appended to one
Parquet file per table."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import yaml

from analysis.data.contract import CONTRACT_VERSION, TABLES
from analysis.data.synth.config import SynthConfig
from analysis.data.synth.sample import generate
from analysis.data.write import to_arrow

__all__ = ["LARGE", "LARGE_TEAMS", "TEAMS_PER_SHARD", "scaled_configs", "write_scaled"]

# The large company of the scale benchmarks (`write_scaled` at scale 1): 300 teams of 10 seats
# (about 4,000 reps over 36 months with attrition), about 5 million opportunities with their stage
# history and weekly snapshots, and 50 million activities.
LARGE_TEAMS = 300
LARGE = dict(reps_per_team=10, opps_per_rep_month=38.0, activities_per_rep_month=474.0)
TEAMS_PER_SHARD = 10


def scaled_configs(
    scale: float, seed: int = SynthConfig.seed, teams_per_shard: int = TEAMS_PER_SHARD
) -> list[SynthConfig]:
    """The shards of the benchmark company at `scale` (1 = the large company; rows grow
    linearly with it): `teams_per_shard` teams each, their own seed, ids prefixed S000-, ..."""
    if not scale > 0:
        raise ValueError(f"scale: {scale} must be > 0")
    n_teams = max(1, round(LARGE_TEAMS * scale))
    n_shards = -(-n_teams // teams_per_shard)
    return [
        SynthConfig(
            seed=seed + k,
            n_teams=min(teams_per_shard, n_teams - k * teams_per_shard),
            team_offset=k * teams_per_shard,
            id_prefix=f"S{k:03d}-",
            **LARGE,
        )
        for k in range(n_shards)
    ]


def _arrow_shard(cfg: SynthConfig) -> dict[str, pa.Table]:
    """One shard's tables in their on-disk Parquet form (run in a worker process)."""
    tables, _ = generate(cfg)
    return {name: to_arrow(df, TABLES[name]) for name, df in tables.items()}


def write_scaled(
    path: str | Path,
    scale: float = 1.0,
    *,
    jobs: int = 1,
    progress=print,
    teams_per_shard: int = TEAMS_PER_SHARD,
) -> Path:
    """Generate the benchmark company at `scale` into `path` as one Parquet file per table.

    Shards (`scaled_configs`) are generated `jobs` at a time in worker processes and appended to
    the files as they arrive, so memory holds a few shards, never the whole company. Returns
    `path`, which also gets dataset.yaml (the generator settings; no manifest of effects).
    """
    import multiprocessing

    import pyarrow.parquet as pq

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    configs = scaled_configs(scale, teams_per_shard=teams_per_shard)
    writers: dict[str, pq.ParquetWriter] = {}
    rows: dict[str, int] = {}
    ctx = multiprocessing.get_context("spawn")
    try:
        with ctx.Pool(max(1, min(jobs, len(configs)))) as pool:
            for k, shard in enumerate(pool.imap(_arrow_shard, configs)):
                for name, table in shard.items():
                    if name not in writers:
                        writers[name] = pq.ParquetWriter(path / f"{name}.parquet", table.schema)
                    writers[name].write_table(table)
                    rows[name] = rows.get(name, 0) + table.num_rows
                progress(f"  shard {k + 1}/{len(configs)} written")
    finally:
        for writer in writers.values():
            writer.close()
    cfg = configs[0]
    meta = {
        "name": f"bench-{scale:g}",
        "description": "Synthetic benchmark company (analysis.data.synth.write_scaled); not real data.",
        "contract_version": CONTRACT_VERSION,
        "timezone": "Asia/Bangkok",
        "currency": "THB",
        "as_of": str(cfg.months_index[-1].end_time.date()),
        "generator": {
            "scale": scale,
            "teams": sum(c.n_teams for c in configs),
            "shards": len(configs),
            "seed": cfg.seed,
            "months": cfg.months,
            "end_month": cfg.end_month,
            **LARGE,
        },
        "rows": rows,
    }
    (path / "dataset.yaml").write_text(
        yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path
