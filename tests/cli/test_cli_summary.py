"""The terminal summary of ``ssk-opt solve``: programme names, indicative money, prices in words.

The CLI run uses a scenario whose figures follow by hand: one region of 1,000 households with a
target of 50% (500 households), nothing covered yet; a firm APBD pool of 100 and an indicative
(``firm: false``) CSR pool of 50, both Rp juta; two septic-tank programmes at 1 juta a household.
Every rupiah avoids one household of shortfall, so both pools are spent (150 allocated, 50 of it
indicative: 33.3%), the shortfall is 350 and each pool's price is 1 household per juta, holding
from a budget of 0 up to where the shortfall is gone (APBD 100 + 350 = 450, CSR 50 + 350 = 400).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ssk_optimize.cli import cli
from ssk_optimize.results.summary import (
    indicative_money,
    programme_labels,
    top_prices,
    waiting_list,
)

SCENARIO = """\
scenario: tiny-summary
horizon: [2025, 2025]
money_unit: juta
regions:
  - {id: alpha, province: prov, households: {2025: 1000}, targets: {akses_layak: {2025: 0.5}}}
pools:
  - {id: apbd_alpha, source: APBD_KAB, holder: alpha, budget: {2025: 100}}
  - {id: csr_alpha, source: CSR, holder: alpha, firm: false, budget: {2025: 50}}
programs:
  - {id: tangki_a, name: "Tangki septik individual", region: alpha, subsector: air_limbah,
     kind: construction, scale: individual, unit_cost: 1, quantity: 1000, serves: {akses_layak: 1}}
  - {id: tangki_b, name: "Tangki septik individual", region: alpha, subsector: air_limbah,
     kind: construction, scale: individual, unit_cost: 1, quantity: 1000, serves: {akses_layak: 1}}
  - {id: ded_ipal, name: "DED IPAL komunal [bold]Nanga Bulik[/bold]", region: alpha,
     subsector: air_limbah, kind: study, scale: komunal, unit_cost: 10, quantity: 1}
  - {id: stbm, region: alpha, subsector: higiene, kind: promotion, scale: desa, unit_cost: 5,
     quantity: 2}
"""


@pytest.fixture
def summary(tmp_path: Path, runner: CliRunner) -> str:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    result = runner.invoke(cli, ["solve", str(scenario), "-o", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    return " ".join(result.stdout.split())  # rich may wrap long lines; compare words


def test_waiting_list_shows_names_as_written(summary: str) -> None:
    waiting = summary[summary.index("Waiting list"):]
    # a shared name carries the id; a unique name does not; no name falls back to the id
    assert "Tangki septik individual (tangki_a)" in waiting
    assert "Tangki septik individual (tangki_b)" in waiting
    assert "DED IPAL komunal [bold]Nanga Bulik[/bold]" in waiting  # markup-like text kept
    assert "(ded_ipal)" not in waiting
    assert "│ stbm " in waiting
    # the detail no longer repeats the name the programme column shows
    assert "│ Tangki septik individual: " not in waiting


def test_indicative_money_is_the_csr_pool(summary: str) -> None:
    assert ("Rp 50 juta (33.3% of the money allocated) rests on indicative pools not yet "
            "committed: csr_alpha (CSR) 50.") in summary
    assert "of which indicative" in summary


def test_prices_in_words_with_their_range(summary: str) -> None:
    assert "top 2 of 2 pool-years with a non-zero shadow price" in summary
    assert "max households per extra unit" not in summary
    assert ("1 juta more in apbd_alpha 2025 avoids 1 household of shortfall") in summary
    assert "valid while its budget stays between 0 and 450 juta" in summary
    assert ("1 juta more in csr_alpha 2025 avoids 1 household of shortfall") in summary
    assert "valid while its budget stays between 0 and 400 juta" in summary


def _programs() -> pd.DataFrame:
    return pd.DataFrame({
        "program": ["a", "b", "c", "d"],
        "name": ["Sumur resapan", "Sumur resapan", "", "IPAL komunal"],
        "waiting_list": [True, True, True, False],
        "funded_share": [0.5, 0.0, 0.25, 1.0],
        "gap": [10.0, 30.0, 10.0, 0.0],
        "limiting_reason": ["pool_exhausted", "readiness", "pool_exhausted", "fully_funded"],
        "limiting_detail": ["Sumur resapan: dak fully used in 2025", "Sumur resapan: waits for x",
                            "c: dak fully used in 2025", ""],
    })


def test_programme_labels() -> None:
    labels = programme_labels(_programs())
    assert list(labels) == ["Sumur resapan (a)", "Sumur resapan (b)", "c", "IPAL komunal"]


def test_waiting_list_orders_by_gap_then_id_and_strips_the_name() -> None:
    count, frame = waiting_list(_programs(), top=2)
    assert count == 3
    assert list(frame["program"]) == ["b", "a"]
    assert list(frame["label"]) == ["Sumur resapan (b)", "Sumur resapan (a)"]
    assert list(frame["detail"]) == ["waits for x", "dak fully used in 2025"]


def test_indicative_money_on_hand_made_frames() -> None:
    allocations = pd.DataFrame({
        "source": ["CSR", "CSR", "APBD_KAB", "MASYARAKAT", "CSR"],
        "pool": ["csr_kalteng", "csr_kalteng", "apbd", "swadaya", "csr_kalteng"],
        "firm": [False, False, True, False, False],
        "purpose": ["capex", "om", "capex", "capex", "capex"],
        "amount": [2000.0, 500.0, 21000.0, 500.0, 1000.0],
    })
    pools = pd.DataFrame({"pool": ["apbd", "csr_kalteng", "swadaya", "csr_pusat"],
                          "firm": [True, False, False, False]})
    money = indicative_money(allocations, pools)
    assert money.total == pytest.approx(25000.0)
    assert money.amount == pytest.approx(4000.0)  # 2000 + 500 (O&M) + 1000 + 500
    assert money.share == pytest.approx(0.16)
    assert list(money.by_pool["pool"]) == ["csr_kalteng", "swadaya"]
    assert list(money.by_pool["amount"]) == pytest.approx([3500.0, 500.0])
    assert money.by_source == pytest.approx({"CSR": 3500.0, "MASYARAKAT": 500.0})
    assert money.unused_pools == ("csr_pusat",)
    assert money.has_indicative_pools


def test_no_indicative_pools() -> None:
    allocations = pd.DataFrame({"source": ["DAK"], "pool": ["dak"], "firm": [True],
                                "purpose": ["capex"], "amount": [10.0]})
    money = indicative_money(allocations, pd.DataFrame({"pool": ["dak"], "firm": [True]}))
    assert (money.amount, money.share, money.by_source) == (0.0, 0.0, {})
    assert not money.has_indicative_pools


def test_top_prices_keeps_non_zero_prices_highest_first() -> None:
    inf, nan = math.inf, math.nan
    pools = pd.DataFrame({
        "pool": ["a", "a", "b", "c", "d"],
        "source": ["DAK", "DAK", "CSR", "APBD_KAB", "HIBAH"],
        "year": [2025, 2026, 2025, 2025, 2025],
        "shadow_price_targets": [0.1, 0.0, 0.3, 1e-14, nan],
        "shadow_price_priority": [0.0, 0.02, 0.0, 0.0, nan],
        "range_low": [0.0, 5.0, 10.0, 0.0, nan],
        "range_high": [inf, 8.0, 90.0, inf, nan],
    })
    top = top_prices(pools, top=5)
    assert list(zip(top["pool"], top["year"], strict=True)) == [("b", 2025), ("a", 2025),
                                                               ("a", 2026)]
    assert top_prices(pools, top=1)["pool"].tolist() == ["b"]
    assert len(top_prices(pools, top=None)) == 3


@pytest.mark.parametrize(("low", "high", "said"), [
    (3800.0, 4600.0, "valid while its budget stays between 3,800 and 4,600 juta"),
    (3800.0, math.inf, "valid while its budget stays from 3,800 juta upward"),
    (-math.inf, 4600.0, "valid while its budget stays up to 4,600 juta"),
    (-math.inf, math.inf, "at any budget level"),
    (math.nan, math.nan, "(this solver gives no range over which the price holds)"),
])
def test_price_ranges_in_words(low: float, high: float, said: str) -> None:
    from ssk_optimize.cli.summary import _validity
    assert _validity(low, high, "juta") == said
