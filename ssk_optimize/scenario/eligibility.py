"""Eligible (programme, pool) pairs for capital and O&M money, vectorised over programmes and pools.

A pair is eligible when the pool's holder covers the programme (holder = the programme's region,
its province, or ``national``) and the rule row of the pool's source type allows the programme
(:func:`ssk_optimize.scenario.rules.eligibility_reasons`). The model builds its ``fund`` and ``om``
columns from these frames; validation reads them for the "no eligible source" warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ssk_optimize.scenario.rules import eligibility_reasons
from ssk_optimize.scenario.schema import Scenario
from ssk_optimize.scenario.vocabulary import NATIONAL


def program_frame(scenario: Scenario) -> pd.DataFrame:
    """One row per programme with the attributes the rules read, in scenario order."""
    desa = {region.id: region.desa for region in scenario.regions}
    province = {region.id: region.province for region in scenario.regions}
    frame = pd.DataFrame({
        "program": [p.id for p in scenario.programs],
        "region": [p.region for p in scenario.programs],
        "kind": [p.kind for p in scenario.programs],
        "scale": [p.scale for p in scenario.programs],
        "subsector": [p.subsector for p in scenario.programs],
        "locations": [tuple(p.locations) for p in scenario.programs],
        "sources": [p.sources for p in scenario.programs],
        "om_rate": [p.om_rate for p in scenario.programs],
    })
    frame["province"] = frame["region"].map(province)
    frame["region_desa"] = frame["region"].map(desa).fillna(0).astype(int)
    return frame


def pool_frame(scenario: Scenario) -> pd.DataFrame:
    """One row per pool: id, source type, holder, firm."""
    return pd.DataFrame({
        "pool": [b.id for b in scenario.pools],
        "source": [b.source for b in scenario.pools],
        "holder": [b.holder for b in scenario.pools],
        "firm": [b.firm for b in scenario.pools],
    })


def eligible_pairs(scenario: Scenario, programs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every (programme, pool) pair whose holder covers the programme, with two flags.

    Columns: ``program, pool, source, capex, om, capex_reason, om_reason, aid`` where the flags
    say whether capital money / O&M money may flow on the pair and the reasons say why not. Pairs
    whose holder does not cover the programme are left out entirely.

    Bantuan keuangan khusus: an APBD_PROV pool with ``recipients`` decides its kab/kota
    programmes by that list instead of the global ``rules.bantuan_keuangan`` switch: capital
    money may flow to a programme the rule row allows with the switch on only when the
    programme's region is a recipient; ``aid`` marks those pairs (capped per region and year,
    ``recipients[pool,region,year]``). O&M money of such pools follows the rule row without the
    switch.
    """
    programs = program_frame(scenario) if programs is None else programs
    pools = pool_frame(scenario)
    capex_reason = eligibility_reasons(programs, scenario.rules)
    om_reason = eligibility_reasons(programs, scenario.rules, kind_override="om")
    candidates = _covering(programs, pools)
    rows = candidates["program_row"].to_numpy()
    sources = candidates["source"].to_numpy(dtype=object)
    capex_text = _pick(capex_reason, rows, sources)
    om_text = _pick(om_reason, rows, sources)
    no_om = programs["om_rate"].to_numpy()[rows] <= 0
    om_text = np.where(no_om & (om_text == ""), "programme has no O&M (om_rate 0)", om_text)
    capex_text, om_text, aid = _recipients(scenario, programs, candidates, capex_text, om_text)
    return pd.DataFrame({
        "program": candidates["program"].to_numpy(dtype=object),
        "pool": candidates["pool"].to_numpy(dtype=object),
        "source": sources,
        "capex": capex_text == "",
        "om": om_text == "",
        "capex_reason": capex_text,
        "om_reason": om_text,
        "aid": aid,
    })


def _recipients(scenario: Scenario, programs: pd.DataFrame, candidates: pd.DataFrame,
                capex_text: np.ndarray, om_text: np.ndarray,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capital and O&M reasons and the ``aid`` flag for pools with ``recipients``."""
    aid = np.zeros(len(candidates), dtype=bool)
    listed = {b.id: set(b.recipients) for b in scenario.pools if b.recipients}
    if not listed:
        return capex_text, om_text, aid
    rows = candidates["program_row"].to_numpy()
    sources = candidates["source"].to_numpy(dtype=object)
    with_list = candidates["pool"].isin(list(listed)).to_numpy()
    off_rules = scenario.rules.model_copy(update={"bantuan_keuangan": False})
    on_rules = scenario.rules.model_copy(update={"bantuan_keuangan": True})
    off = _pick(eligibility_reasons(programs, off_rules), rows, sources)
    on = _pick(eligibility_reasons(programs, on_rules), rows, sources)
    om_off = _pick(eligibility_reasons(programs, off_rules, kind_override="om"), rows, sources)
    region = programs["region"].to_numpy(dtype=object)[rows]
    pool = candidates["pool"].to_numpy(dtype=object)
    recipient = np.array([r in listed.get(b, ()) for r, b in zip(region, pool, strict=True)],
                         dtype=bool)
    aid = with_list & (off != "") & (on == "") & recipient
    refused = with_list & (off != "") & (on == "") & ~recipient
    text = np.where(with_list, off, capex_text)
    text = np.where(aid, "", text)
    names = np.array([", ".join(sorted(listed.get(b, ()))) for b in pool], dtype=object)
    text = np.where(refused, "pool's bantuan keuangan khusus goes only to its recipients ["
                    + names + "]", text)
    no_om = programs["om_rate"].to_numpy()[rows] <= 0
    om_off = np.where(no_om & (om_off == ""), "programme has no O&M (om_rate 0)", om_off)
    return text, np.where(with_list, om_off, om_text), aid


def _covering(programs: pd.DataFrame, pools: pd.DataFrame) -> pd.DataFrame:
    """(programme, pool) candidates where the pool's holder is the region, province or national."""
    keyed = programs[["program", "region", "province"]].reset_index(names="program_row")
    by_region = keyed.merge(pools, left_on="region", right_on="holder")
    by_province = keyed.merge(pools, left_on="province", right_on="holder")
    national = keyed.merge(pools[pools["holder"] == NATIONAL], how="cross")
    both = pd.concat([by_region, by_province, national], ignore_index=True)
    both = both.drop_duplicates(["program_row", "pool"])
    pool_order = {pool: i for i, pool in enumerate(pools["pool"])}
    both["pool_row"] = both["pool"].map(pool_order)
    return both.sort_values(["program_row", "pool_row"], kind="stable").reset_index(drop=True)


def _pick(reasons: pd.DataFrame, rows: np.ndarray, sources: np.ndarray) -> np.ndarray:
    if len(rows) == 0:
        return np.empty(0, dtype=object)
    columns = reasons.columns.get_indexer(pd.Index(sources))
    return reasons.to_numpy(dtype=object)[rows, columns]


def dana_desa_shares(scenario: Scenario) -> np.ndarray:
    """Per programme (scenario order): the share of its capital cost Dana Desa may pay (NaN: no
    limit). ``desa_share`` when given; else, for a programme located in both desa and kelurahan
    (its ``locations`` list both), its region's ``desa / (desa + kelurahan)``."""
    regions = {region.id: region for region in scenario.regions}
    shares = []
    for program in scenario.programs:  # one figure per programme, no variables
        region = regions.get(program.region)
        if program.desa_share is not None:
            shares.append(float(program.desa_share))
        elif region is not None and {"desa", "kelurahan"} <= set(program.locations) \
                and region.desa + region.kelurahan > 0:
            shares.append(region.desa / (region.desa + region.kelurahan))
        else:
            shares.append(np.nan)
    return np.array(shares, dtype=float).reshape(-1)


def pool_reasons(scenario: Scenario, program: str) -> pd.DataFrame:
    """For one programme, every pool of the scenario: may it pay capital / O&M money, and why not.

    Columns ``pool, source, holder, capex, om, capex_reason, om_reason`` in pool order. The
    reasons are those of :func:`eligible_pairs` (the rule row of the pool's source, bantuan
    keuangan khusus recipients); a pool whose holder covers neither the programme's region, nor
    its province, nor is ``national`` (which :func:`eligible_pairs` leaves out) gets "held by H,
    which covers neither region R nor its province P" for both. Unknown ``program``: KeyError.
    """
    programs = program_frame(scenario)
    mine = programs[programs["program"] == program]
    if mine.empty:
        raise KeyError(program)
    pools = pool_frame(scenario)
    pairs = eligible_pairs(scenario)
    pairs = pairs[pairs["program"] == program].set_index("pool")
    region, province = str(mine["region"].iloc[0]), str(mine["province"].iloc[0])
    elsewhere = ("held by " + pools["holder"].astype(str) + f", which covers neither region {region}"
                 f" nor its province {province}")
    known = pools["pool"].isin(pairs.index).to_numpy()
    frame = pools[["pool", "source", "holder"]].copy()
    for flag, reason in (("capex", "capex_reason"), ("om", "om_reason")):
        frame[flag] = pairs[flag].reindex(pools["pool"]).fillna(False).to_numpy(dtype=bool)
        text = pairs[reason].reindex(pools["pool"]).to_numpy(dtype=object)
        frame[reason] = np.where(known, text, elsewhere.to_numpy(dtype=object))
    return frame.reset_index(drop=True)
