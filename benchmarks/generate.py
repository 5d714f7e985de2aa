"""Write a synthetic national-scale scenario: N kab/kota x ~30 programmes x ~6 pools.

Usage:
    python benchmarks/generate.py --regions 514 --out /tmp/national      # Parquet tables
    python benchmarks/generate.py --regions 10 --out /tmp/ten --format yaml

Writes ``OUT/scenario.yaml``; with ``--format parquet`` (default) or ``csv`` the regions, pools and
programmes sit in ``OUT/regions.parquet``, ``OUT/pools.parquet``, ``OUT/programs.parquet`` (the
``{table: ...}`` form of domain.md section 5, mapping-valued keys as JSON text).

Every regency gets the programme list of an SSK like Lamandau's (septic tanks, IPAL komunal after
its DED, an IPLT after DED and land, LLTT, TPS3R after DED, waste trucks, drainage, STBM, DAK
supervision, Pokja monitoring...) with quantities and costs scaled by a random size, and six pools
(DAK, APBD murni, Dana Desa, CSR, masyarakat, retribusi) holding about 75% of the need, so every
region has a waiting list. Each province (34, regencies spread evenly) adds an APBD Provinsi pool
and a regional TPA with its DED; the centre adds an APBN pool (per-region ceiling) and a grant.
Two programmes per regency (the IPLT, the TPA cell) and each regional TPA are whole units
(``divisible: false``), so the model is a MILP. Figures are illustrative; the seed fixes them.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

YEARS = list(range(2025, 2030))
PROVINCES = 34

# id suffix, name, subsector, kind, scale, unit cost (Rp juta), quantity per 10,000 households
# (None: fixed quantity), fixed quantity, priority, serves, om_rate, requires, locations, extra
TEMPLATE: list[dict[str, Any]] = [
    dict(key="ts_desa", subsector="air_limbah", kind="construction", scale="individual",
         unit_cost=6.8, per_10k=800, priority=5, serves={"akses_layak": 1}, om_rate=0.02,
         locations=["desa", "stunting"]),
    dict(key="ts_hulu", subsector="air_limbah", kind="construction", scale="individual",
         unit_cost=8.2, per_10k=500, priority=4, serves={"akses_layak": 1}, om_rate=0.02,
         locations=["desa"]),
    dict(key="ts_kota", subsector="air_limbah", kind="construction", scale="individual",
         unit_cost=6.8, per_10k=350, priority=4, serves={"akses_layak": 1}, om_rate=0.02,
         locations=["kelurahan", "kumuh"]),
    dict(key="ts_komunal", subsector="air_limbah", kind="construction", scale="komunal",
         unit_cost=60, per_10k=25, priority=3, serves={"akses_layak": 10}, om_rate=0.03,
         locations=["desa", "stunting"]),
    dict(key="ded_ipal", subsector="air_limbah", kind="study", scale="komunal", unit_cost=60,
         per_10k=2, priority=4, years=[2025, 2027], locations=["kelurahan", "kumuh"]),
    dict(key="ipal", subsector="air_limbah", kind="construction", scale="komunal", unit_cost=650,
         per_10k=2, priority=4, years=[2026, 2029], serves={"akses_layak": 50, "akses_aman": 50},
         om_rate=0.04, requires=["ded_ipal"], locations=["kelurahan", "kumuh"]),
    dict(key="ded_iplt", subsector="air_limbah", kind="study", scale="perkotaan", unit_cost=450,
         fixed=1, priority=5, years=[2025, 2026], sources=["APBD_KAB", "APBN"]),
    dict(key="lahan_iplt", subsector="air_limbah", kind="land", scale="perkotaan", unit_cost=250,
         fixed=2, priority=5, years=[2025, 2026], sources=["APBD_KAB"]),
    dict(key="iplt", subsector="air_limbah", kind="construction", scale="perkotaan",
         unit_cost=9500, fixed=1, priority=5, years=[2026, 2028], divisible=False, om_rate=0.05,
         requires=["ded_iplt", "lahan_iplt"], sources=["DAK", "APBN", "HIBAH", "APBD_KAB"]),
    dict(key="truk_tinja", subsector="air_limbah", kind="construction", scale="perkotaan",
         unit_cost=750, fixed=2, priority=4, om_rate=0.08),
    dict(key="uptd", subsector="air_limbah", kind="institutional", scale="perkotaan",
         unit_cost=200, fixed=1, priority=5, years=[2025, 2026]),
    dict(key="lltt", subsector="air_limbah", kind="construction", scale="individual",
         unit_cost=1.5, per_10k=1200, priority=4, years=[2027, 2029], serves={"akses_aman": 1},
         om_rate=0.05, requires=["iplt", "truk_tinja", "uptd"], locations=["kelurahan"]),
    dict(key="promosi_lltt", subsector="air_limbah", kind="promotion", scale="perkotaan",
         unit_cost=75, fixed=4, priority=2, years=[2026, 2029]),
    dict(key="ded_tps3r", subsector="persampahan", kind="study", scale="komunal", unit_cost=50,
         per_10k=4, priority=3, years=[2025, 2027]),
    dict(key="tps3r_desa", subsector="persampahan", kind="construction", scale="desa",
         unit_cost=600, per_10k=3, priority=4, serves={"sampah_terkelola": 400}, om_rate=0.06,
         requires=["ded_tps3r"], locations=["desa", "stunting"]),
    dict(key="tps3r_kota", subsector="persampahan", kind="construction", scale="komunal",
         unit_cost=650, per_10k=1, priority=4, serves={"sampah_terkelola": 450}, om_rate=0.06,
         requires=["ded_tps3r"], locations=["kelurahan", "kumuh"]),
    dict(key="truk_sampah", subsector="persampahan", kind="construction", scale="perkotaan",
         unit_cost=600, per_10k=1.2, priority=3, serves={"sampah_terkelola": 1200}, om_rate=0.10),
    dict(key="motor_sampah", subsector="persampahan", kind="construction", scale="komunal",
         unit_cost=45, per_10k=6, priority=3, serves={"sampah_terkelola": 150}, om_rate=0.12,
         locations=["desa", "stunting"]),
    dict(key="bank_sampah", subsector="persampahan", kind="construction", scale="desa",
         unit_cost=30, per_10k=10, priority=2, serves={"sampah_terkelola": 60}, om_rate=0.05,
         locations=["desa"], sources=["DANA_DESA", "CSR", "APBD_KAB"]),
    dict(key="ded_tpa", subsector="persampahan", kind="study", scale="perkotaan", unit_cost=400,
         fixed=1, priority=3, years=[2025, 2027]),
    dict(key="tpa_sel", subsector="persampahan", kind="construction", scale="perkotaan",
         unit_cost=7500, fixed=1, priority=3, years=[2026, 2029], divisible=False,
         serves={"sampah_terkelola": 2500}, om_rate=0.04, requires=["ded_tpa"]),
    dict(key="ded_drainase", subsector="drainase", kind="study", scale="perkotaan",
         unit_cost=350, fixed=1, priority=3, years=[2025, 2027]),
    dict(key="drainase_kumuh", subsector="drainase", kind="construction", scale="permukiman",
         unit_cost=1.8, per_10k=1000, priority=3, om_rate=0.02, requires=["ded_drainase"],
         locations=["kelurahan", "kumuh"]),
    dict(key="drainase_desa", subsector="drainase", kind="construction", scale="desa",
         unit_cost=0.9, per_10k=1300, priority=2, om_rate=0.02, locations=["desa"],
         sources=["DANA_DESA", "APBD_KAB"]),
    dict(key="stbm", subsector="higiene", kind="promotion", scale="desa", unit_cost=25,
         per_10k=20, priority=5, serves={"akses_layak": 25}, locations=["desa", "stunting"],
         sources=["DANA_DESA", "APBD_KAB", "CSR", "HIBAH"]),
    dict(key="ctps", subsector="higiene", kind="promotion", scale="permukiman", unit_cost=100,
         fixed=5, priority=2, locations=["desa", "kelurahan"]),
    dict(key="pengawasan_dak", subsector="air_limbah", kind="supporting", scale="perkotaan",
         unit_cost=120, fixed=5, priority=3),
    dict(key="monev", subsector="air_limbah", kind="institutional", scale="perkotaan",
         unit_cost=60, fixed=5, min_quantity=5, priority=3, sources=["APBD_KAB"]),
    dict(key="perda", subsector="air_limbah", kind="institutional", scale="perkotaan",
         unit_cost=150, fixed=1, priority=4, years=[2025, 2027]),
    dict(key="tarif", subsector="air_limbah", kind="institutional", scale="perkotaan",
         unit_cost=100, fixed=1, priority=3, years=[2025, 2027], requires=["uptd"]),
]

#: share of the capital need each pool type holds over the horizon (sums to about 0.75)
POOL_SHARES = {"DAK": 0.28, "APBD_KAB": 0.30, "DANA_DESA": 0.10, "CSR": 0.03,
               "MASYARAKAT": 0.03, "RETRIBUSI": 0.015}


def build(regions: int, seed: int = 1) -> dict[str, list[dict[str, Any]]]:
    """Regions, pools and programmes of a synthetic scenario with ``regions`` kab/kota."""
    rng = random.Random(seed)
    region_rows: list[dict[str, Any]] = []
    pools: list[dict[str, Any]] = []
    programs: list[dict[str, Any]] = []
    need_by_province: dict[str, float] = {}
    for index in range(regions):
        region = f"r{index:04d}"
        province = f"p{index % PROVINCES:02d}"
        households = rng.randint(15_000, 300_000)
        size = households / 10_000
        mine = _programs(region, size, rng)
        need = sum(p["unit_cost"] * p["quantity"] for p in mine)
        need_by_province[province] = need_by_province.get(province, 0.0) + need
        programs += mine
        region_rows.append({
            "id": region, "province": province, "households": {2025: households},
            "household_growth": round(rng.uniform(0.005, 0.02), 4), "desa": rng.randint(0, 300),
            "baseline": {"akses_layak": round(households * rng.uniform(0.5, 0.8)),
                         "akses_aman": round(households * rng.uniform(0.01, 0.06)),
                         "sampah_terkelola": round(households * rng.uniform(0.2, 0.5))},
            "targets": {"akses_layak": {2027: 0.8, 2029: 0.9}, "akses_aman": {2029: 0.15},
                        "sampah_terkelola": {2029: 0.8}},
            "baseline_om": {y: round(size * 20, 1) for y in YEARS},
        })
        pools += _pools(region, need, size, rng)
    for number in range(min(PROVINCES, regions)):
        province = f"p{number:02d}"
        host = f"r{number:04d}"
        yearly = need_by_province[province] * 0.04 / len(YEARS)
        pools.append({"id": f"{province}_apbd_prov", "source": "APBD_PROV", "holder": province,
                      "budget": {y: round(yearly, 1) for y in YEARS}})
        programs += [
            {"id": f"{province}_ded_tpa_regional", "region": host, "subsector": "persampahan",
             "kind": "study", "scale": "regional", "unit_cost": 1500, "quantity": 1,
             "years": [2025, 2026], "priority": 4},
            {"id": f"{province}_tpa_regional", "region": host, "subsector": "persampahan",
             "kind": "construction", "scale": "regional", "unit_cost": 20000, "quantity": 1,
             "years": [2026, 2029], "divisible": False, "priority": 4,
             "serves": {"sampah_terkelola": 5000}, "om_rate": 0.04,
             "requires": [f"{province}_ded_tpa_regional"]},
        ]
    total = sum(need_by_province.values())
    pools.append({"id": "nas_apbn", "source": "APBN", "holder": "national",
                  "per_region": {"max": 3000},
                  "budget": {y: round(total * 0.05 / len(YEARS), 1) for y in YEARS}})
    pools.append({"id": "nas_hibah", "source": "HIBAH", "holder": "national",
                  "budget": {y: round(total * 0.01 / len(YEARS), 1) for y in YEARS[1:]}})
    return {"regions": region_rows, "pools": pools, "programs": programs}


def _programs(region: str, size: float, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for item in TEMPLATE:
        quantity = item.get("fixed") or max(1, round(item["per_10k"] * size * rng.uniform(0.7, 1.3)))
        row: dict[str, Any] = {
            "id": f"{region}_{item['key']}", "region": region, "subsector": item["subsector"],
            "kind": item["kind"], "scale": item["scale"],
            "unit_cost": round(item["unit_cost"] * rng.uniform(0.9, 1.2), 2),
            "quantity": float(quantity), "priority": item["priority"],
        }
        for key in ("years", "serves", "om_rate", "locations", "sources", "min_quantity"):
            if key in item:
                row[key] = item[key]
        if item.get("divisible") is False:
            row["divisible"] = False
        if "requires" in item:
            row["requires"] = [f"{region}_{key}" for key in item["requires"]]
        rows.append(row)
    return rows


def _pools(region: str, need: float, size: float, rng: random.Random) -> list[dict[str, Any]]:
    pools = []
    for source, share in POOL_SHARES.items():
        yearly = need * share * rng.uniform(0.8, 1.2) / len(YEARS)
        pool: dict[str, Any] = {"id": f"{region}_{source.lower()}", "source": source,
                                "holder": region}
        if source == "APBD_KAB":
            pool["base"] = {"year": 2024, "amount": round(yearly / 1.1 + size * 25, 1)}
            pool["growth"] = 0.05
        else:
            pool["budget"] = {y: round(yearly * (1 + 0.03 * (y - 2025)), 1) for y in YEARS}
        if source == "CSR":
            pool["firm"] = False
        pools.append(pool)
    return pools


def write(folder: Path, regions: int, seed: int = 1, fmt: str = "parquet") -> Path:
    """Write the scenario into ``folder``; return the path of its YAML file."""
    folder.mkdir(parents=True, exist_ok=True)
    sections = build(regions, seed)
    header = {"scenario": f"national-{regions}", "description": f"synthetic: {regions} kab/kota",
              "horizon": [YEARS[0], YEARS[-1]], "money_unit": "juta",
              "objective": {"weights": {"akses_layak": 1, "akses_aman": 1, "sampah_terkelola": 1}},
              "solver": {"time_limit": 3600}}
    path = folder / "scenario.yaml"
    if fmt == "yaml":
        # YAML, not JSON: JSON would write the year keys as text, which the scenario refuses
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        text = yaml.dump({**header, **sections}, Dumper=dumper, sort_keys=False, width=120,
                         default_flow_style=None, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        return path
    lines = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in header.items()]
    for name, rows in sections.items():
        table = folder / f"{name}.{fmt}"
        frame = pd.DataFrame([{k: json.dumps(v) if isinstance(v, dict | list | bool) else v
                               for k, v in row.items()} for row in rows])
        if fmt == "csv":
            frame.to_csv(table, index=False)
        else:
            frame.to_parquet(table, index=False)
        lines.append(f'"{name}": {{"table": "{table.name}"}}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", "-n", type=int, default=10)
    parser.add_argument("--out", "-o", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", choices=["parquet", "csv", "yaml"], default="parquet")
    options = parser.parse_args(argv)
    path = write(options.out, options.regions, options.seed, options.format)
    sizes = build(options.regions, options.seed)
    print(f"{path}: {len(sizes['regions'])} regions, {len(sizes['pools'])} pools, "
          f"{len(sizes['programs'])} programmes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
