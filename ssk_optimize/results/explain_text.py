"""The words of ``ssk-opt explain``: one block of lines per programme, Indonesian or English.

Fixed words come from :data:`~ssk_optimize.results.labels.LABELS`; numbers use
:func:`~ssk_optimize.results.labels.number` (``1.234,5`` / ``1,234.5``). Ids and names are shown as
the planner wrote them; the rule texts of the eligibility table and ``limiting_detail`` are the
engine's own (English), quoted as they are in the run.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ssk_optimize.results.explain import ProgrammeExplanation
from ssk_optimize.results.labels import Lang, label, number, percent
from ssk_optimize.results.reader import Run


def explanation_lines(explanations: list[ProgrammeExplanation], run: Run,
                      lang: Lang = "id") -> tuple[str, ...]:
    """Every programme's block, separated by an empty line; a note when the list is empty."""
    if not explanations:
        return (label("no_waiting", lang),)
    lines: list[str] = []
    for item in explanations:
        if lines:
            lines.append("")
        lines.extend(programme_lines(item, run.manifest.money_unit, lang))
    return tuple(lines)


def programme_lines(e: ProgrammeExplanation, unit: str, lang: Lang = "id") -> list[str]:
    """The four parts for one programme (results/explain.py, items 1-4) and the re-solve."""
    row = e.programme
    say = lambda key, **kw: label(key, lang).format(**kw)  # noqa: E731 - a local shorthand
    money = lambda v: number(float(v), lang, 2 if abs(float(v)) < 100 else 0)  # noqa: E731
    lines = [say("explain_title", name=f"{e.name} ({e.program})"),
             say("explain_status", funded=money(row["funded"]), need=money(row["need"]),
                 unit=f"Rp {unit}", share=percent(float(row["funded_share"]), lang, 1),
                 gap=money(row["gap"]), priority=number(float(row["priority"]), lang))]
    lines.append(say("who_may_fund"))
    for pool in e.pools.itertuples():
        what = [label("capital", lang)] * bool(pool.capex) + ["O&M"] * bool(pool.om)
        text = say("may_pay", what=", ".join(what)) if what else \
            say("may_not", reason=str(pool.capex_reason))
        lines.append(f"   {pool.pool} ({pool.source}): {text}")
    years = e.fullness["year"].to_numpy(dtype=int)
    start, end = (int(years.min()), int(years.max())) if len(years) else (0, 0)
    lines.append(say("fullness", years=_span(start, end), unit=f"Rp {unit}"))
    for f in _records(e.fullness):
        price = ""
        if float(f["shadow_price_priority"]) > 0:
            price = say("price_text", price=number(float(f["shadow_price_priority"]), lang, 6),
                        low=money(f["range_low"]), high=money(f["range_high"]))
        lines.append("   " + say("fullness_row", pool=f["pool"], year=int(f["year"]),
                                 budget=money(f["budget"]), used=money(f["used"]),
                                 unused=money(f["unused"]), price=price))
    if e.users.empty:
        lines.append(say("no_higher_users"))
    for name, part in e.users.groupby("pool", sort=True):
        users = ", ".join(f"{u['name']} ({u['program']}, {number(float(u['priority']), lang)}): "
                          f"{money(u['amount'])}" for u in _records(part))
        lines.append(say("higher_users", pool=name, users=users))
    reason = str(row["limiting_reason"])
    lines.append(say("its_limit", reason=f"{label(reason, lang)} ({reason})"))
    lines.append(f"   {row['limiting_detail']}")
    lines.append(say("what_funds"))
    lines.extend("   " + t for t in _change_lines(e, unit, lang))
    return lines


def _change_lines(e: ProgrammeExplanation, unit: str, lang: Lang) -> list[str]:
    say = lambda key, **kw: label(key, lang).format(**kw)  # noqa: E731
    money = lambda v: number(float(v), lang, 2)  # noqa: E731
    change = e.change
    lines: list[str] = []
    if change.status == "not_solved":
        return [say("not_solved", detail=change.detail)]
    rules = rule_words(change.obstacles, lang)
    if change.status == "money_cannot_help":
        lines.append(say("money_cannot_help", rules=rules))
        lines.append(say("rule_suggestion", text=e.rule_change) if e.rule_change
                     else say("no_rule_suggestion"))
        return lines
    added = change.added
    pools = ", ".join(f"{r['pool']} {int(r['year'])} +{money(r['added'])}" for r in _records(added))
    lines.append(say("cheapest_change", total=money(added["added"].sum()), unit=f"Rp {unit}",
                     pools=pools))
    if change.reach < 1.0:
        lines.append(say("partial_reach", share=percent(change.reach, lang, 1), rules=rules))
        if e.rule_change:
            lines.append(say("rule_suggestion", text=e.rule_change))
    for text in e.overrides:
        if ".base.amount=" in text:
            lines.append(say("base_note", pool=text.split(".")[1]))
    if len(change.earmarks):
        lines.append(say("earmark_note"))
    lines.append(say("add_to_solve"))
    lines.extend(f"  --set '{text}'" for text in e.overrides)
    v = e.verification
    if v is not None:
        key = "resolved_rises" if v.rises else "resolved_not"
        lines.append(say(key, before=money(v.funded_before), after=money(v.funded_after),
                         unit=f"Rp {unit}", share_before=percent(v.share_before, lang, 1),
                         share_after=percent(v.share_after, lang, 1), status=v.status))
    return lines


def rule_words(obstacles: pd.DataFrame, lang: Lang = "id") -> str:
    """The rules that gave in the obstacle LP, in words, each once (their family and ids)."""
    if obstacles.empty:
        return label("rules_unknown", lang)
    words: list[str] = []
    for o in _records(obstacles):
        key = f"rule_{o['family']}"
        text = label(key, lang)
        if text == key:  # a family without words: its scenario key
            text = str(o["rule"])
        text = text.format(other=o["other_program"], pool=o["pool"], region=o["region"], years="")
        if o["year"] is not None and not pd.isna(o["year"]):
            text = f"{text} {int(o['year'])}"
        if text not in words:
            words.append(text)
    return "; ".join(words)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _span(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}-{end}"
