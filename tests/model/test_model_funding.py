"""The funding LP of ``ssk-opt explain`` on hand-derived tiny scenarios (arithmetic in each file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssk_optimize import api
from ssk_optimize.errors import UsageError

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"


def _explain(tmp_path: Path, name: str, program: str) -> api.RunExplanation:
    folder = tmp_path / name
    api.solve_file(TINY / f"explain_{name}.yaml", output=folder)
    return api.explain_run(folder, program=program, lang="en")


def test_one_pool_short_by_a_known_amount(tmp_path: Path) -> None:
    result = _explain(tmp_path, "short_one_pool", "lo")
    item = result.programmes[0]
    added = item.change.added
    assert list(added["pool"]) == ["apbd"] and list(added["year"]) == [2025]
    assert float(added["added"].iloc[0]) == pytest.approx(20.0, abs=1e-4)
    assert item.overrides == ("pools.apbd.budget.2025=120", "programs.lo.locked.2025.apbd=60")
    assert item.verification is not None and item.verification.rises
    assert item.verification.funded_before == pytest.approx(40.0)
    assert item.verification.funded_after == pytest.approx(60.0)
    assert "Re-solved: funded rises from 40.00 to 60.00" in "\n".join(result.text)


def test_two_pools_the_cheaper_change_is_chosen(tmp_path: Path) -> None:
    item = _explain(tmp_path, "two_pools", "lo").programmes[0]
    added = item.change.added
    assert float(added["added"].sum()) == pytest.approx(40.0, abs=1e-4)  # not 60 in 2026
    assert set(added["year"]) == {2025}
    assert set(item.pools.loc[item.pools["capex"], "pool"]) == {"apbd", "csr"}
    assert item.verification is not None and item.verification.funded_after == pytest.approx(40.0)


def test_readiness_money_cannot_help(tmp_path: Path) -> None:
    result = _explain(tmp_path, "readiness", "build")
    item = result.programmes[0]
    assert item.change.status == "money_cannot_help" and item.change.reach == pytest.approx(0.0)
    assert item.overrides == () and item.verification is None
    assert set(item.change.obstacles["family"]) == {"readiness"}
    text = "\n".join(result.text)
    assert "More money would not fund more of it" in text and "readiness (prerequisite ded)" in text


def test_fully_funded_programme_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="fully funded"):
        _explain(tmp_path, "short_one_pool", "hi")
