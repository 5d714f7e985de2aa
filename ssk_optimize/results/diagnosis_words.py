"""The diagnosis in words: one phrase per rule and per change, Indonesian and English.

Ids (programmes, pools, regions) are shown as the planner wrote them; every line ends with the
``file:line`` of the value behind it and, for a clashing rule, the LP row or bound it is, so a
reader can go from the sentence to the YAML and to the model.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ssk_optimize.results.labels import Lang, number, percent

_WORDS: dict[str, tuple[str, str]] = {
    "infeasible": ("Skenario {scenario} tidak punya rencana yang layak: aturan-aturan berikut tidak "
                   "dapat dipenuhi bersamaan.",
                   "Scenario {scenario} has no feasible plan: these rules cannot all hold."),
    "conflict": ("Aturan yang berbenturan (himpunan minimal: lepaskan satu saja dan sisanya dapat "
                 "dipenuhi):",
                 "Clashing rules (a minimal set: drop any one and the rest can hold):"),
    "no_relaxation": ("Tidak ada perubahan anggaran, komitmen, target atau kapasitas yang "
                      "memulihkan kelayakan; ubah salah satu aturan di atas.",
                      "No change of budgets, commitments, targets or capacity restores "
                      "feasibility; change one of the rules above."),
    "option": ("Pilihan {number} ({name}), {check}:", "Option {number} ({name}), {check}:"),
    "cheapest": ("perubahan terkecil", "smallest change"),
    "budgets": ("hanya anggaran", "budgets only"),
    "commitments": ("hanya komitmen", "commitments only"),
    "rules": ("mengubah aturan", "changing a rule"),
    "linking": ("Program yang menghubungkan aturan-aturan ini:", "Programmes that link these rules:"),
    "checked": ("sudah diperiksa: skenario dengan perubahan ini layak",
                "checked: the scenario with these changes is feasible"),
    "unchecked": ("diperiksa: masih tidak layak", "checked: still infeasible"),
    "not_checked": ("belum diperiksa", "not checked"),
    "apply": ("Terapkan:", "Apply:"),
}

#: Rule -> (Indonesian, English) phrase; ``{program}``, ``{pool}``, ``{region}``, ``{year}``,
#: ``{indicator}``, ``{other_program}`` are filled from the row's origin.
_RULES: dict[str, tuple[str, str]] = {
    "pools.budget": ("Pagu {pool} tahun {year}", "Budget of {pool} in {year}"),
    "programs.min_quantity": ("Volume minimum (komitmen) {program}", "Committed minimum of {program}"),
    "programs.locked": ("Dana terkunci {program} dari {pool} tahun {year}",
                        "Locked money of {program} from {pool} in {year}"),
    "objective.hard_targets": ("Target wajib {indicator} {region} tahun {year}",
                               "Hard target {indicator} of {region} in {year}"),
    "regions.targets": ("Target cakupan {indicator} {region} tahun {year}",
                        "Coverage target {indicator} of {region} in {year}"),
    "rules.matching": ("Dana pendamping {program} tahun {year}", "Matching money of {program} in {year}"),
    "programs.requires": ("Kesiapan: {program} menunggu {other_program} selesai (tahun {year})",
                          "Readiness: {program} waits for {other_program} (year {year})"),
    "programs.om_rate": ("Kewajiban O&M {program} tahun {year}", "O&M obligation of {program} in {year}"),
    "regions.baseline_om": ("O&M aset eksisting {region} tahun {year}",
                            "O&M of existing assets of {region} in {year}"),
    "rules.om_handover_cap": ("Batas O&M yang diwariskan {region}", "O&M handover cap of {region}"),
    "rules.masyarakat_share": ("Batas porsi masyarakat {program} tahun {year}",
                               "Community share cap of {program} in {year}"),
    "rules.dak_supporting_share": ("Batas kegiatan penunjang DAK {pool} tahun {year}",
                                   "DAK supporting-cost cap of {pool} in {year}"),
    "pools.per_region": ("Batas per wilayah {pool} untuk {region} tahun {year}",
                         "Per-region limit of {pool} for {region} in {year}"),
    "programs.max_per_year": ("Kapasitas per tahun {program} tahun {year}",
                              "Yearly capacity of {program} in {year}"),
    "programs.max_years": ("Lama pembayaran unit utuh {program} (mulai {year})",
                           "Whole units of {program} paid within max_years (from {year})"),
    "regions.capex_growth": ("Pertumbuhan belanja modal {region} tahun {year}",
                             "Capital spending growth of {region} in {year}"),
    "programs.excludes": ("Alternatif: {program} atau {other_program}",
                          "Alternatives: {program} or {other_program}"),
    "pools.recipients": ("Bantuan keuangan khusus {pool} untuk {region} tahun {year}",
                         "Bantuan keuangan khusus of {pool} for {region} in {year}"),
    "pools.requires": ("{pool} baru terbuka setelah {other_program} (tahun {year})",
                       "{pool} opens only after {other_program} (year {year})"),
    "programs.divisible": ("Unit utuh (divisible: false) {program}",
                           "Whole units (divisible: false) of {program}"),
    "programs.desa_share": ("Porsi desa Dana Desa {program} tahun {year}",
                            "Dana Desa desa share of {program} in {year}"),
}

_CHANGES: dict[str, tuple[str, str]] = {
    "pools.budget": ("Naikkan pagu {pool}{year} dari {current} menjadi {suggested} ({unit})",
                     "Raise the budget of {pool}{year} from {current} to {suggested} ({unit})"),
    "programs.min_quantity": ("Turunkan volume minimum {program} dari {current} menjadi {suggested} unit",
                              "Lower the committed minimum of {program} from {current} to {suggested} units"),
    "programs.locked": ("Turunkan dana terkunci {program} dari {pool}{year} dari {current} menjadi "
                        "{suggested} ({unit})",
                        "Lower the locked money of {program} from {pool}{year} from {current} to "
                        "{suggested} ({unit})"),
    "pools.per_region": ("Turunkan batas minimum per wilayah {pool} dari {current} menjadi "
                         "{suggested} ({unit})",
                         "Lower the per-region minimum of {pool} from {current} to {suggested} ({unit})"),
    "regions.targets": ("Turunkan target {indicator} {region}{year} dari {current} menjadi {suggested}",
                        "Lower the {indicator} target of {region}{year} from {current} to {suggested}"),
    "objective.hard_targets": ("Jadikan target tidak wajib (tahap 1 meminimalkan kekurangannya)",
                               "Make the targets soft (stage 1 then minimises their shortfall)"),
    "programs.max_per_year": ("Naikkan kapasitas per tahun {program} dari {current} menjadi {suggested} unit",
                              "Raise the yearly capacity of {program} from {current} to {suggested} units"),
    "programs.requires": ("Lepaskan prasyarat {program} ({set})", "Drop a prerequisite of {program} ({set})"),
    "programs.excludes": ("Lepaskan pengecualian alternatif {program} ({set})",
                          "Drop an exclusion of {program} ({set})"),
    "pools.requires": ("Buka {pool} sejak awal, tanpa menunggu program prasyarat ({set})",
                       "Open {pool} from the start, without waiting for its programme ({set})"),
    "regions.baseline_om": ("Periksa O&M aset eksisting {region}{year}: turunkan dari {current} menjadi "
                            "{suggested} ({unit})",
                            "Check the O&M of existing assets of {region}{year}: lower it from "
                            "{current} to {suggested} ({unit})"),
}


def word(key: str, lang: Lang) -> str:
    """A fixed sentence of the diagnosis."""
    pair = _WORDS[key]
    return pair[0] if lang == "id" else pair[1]


def conflict_line(row: Any, lang: Lang) -> str:
    """``Pagu apbd tahun 2025 [pool_budget[apbd,2025]] (lamandau.yaml:41)``."""
    pair = _RULES.get(str(row["rule"]))
    fields = {k: _text(row.get(k)) for k in ("program", "pool", "region", "year", "indicator",
                                             "other_program")}
    phrase = (pair[0] if lang == "id" else pair[1]).format(**fields) if pair else \
        f"{row['rule']}: " + ", ".join(v for v in fields.values() if v)
    return f"{phrase} [{row['name']}] ({row['where']})"


def change_line(row: Any, money_unit: str, lang: Lang) -> str:
    """``Naikkan pagu apbd 2025 dari 100 menjadi 400 (Rp juta) (tiny.yaml:12)``."""
    rule = str(row["rule"])
    pair = _CHANGES[rule]
    unit = f"Rp {money_unit}"
    year = _text(row.get("year"))
    share = rule == "regions.targets"
    fields = {k: _text(row.get(k)) for k in ("program", "pool", "region", "indicator")}
    fields |= {"year": f" {year}" if year else "", "unit": unit, "set": str(row["set"]),
               "current": _figure(row["current"], lang, share),
               "suggested": _figure(row["suggested"], lang, share)}
    text = (pair[0] if lang == "id" else pair[1]).format(**fields)
    return f"{text} ({row['where']})"


def _figure(value: Any, lang: Lang, share: bool) -> str:
    if share:
        return percent(float(value), lang, 2)
    value = float(value)
    return number(value, lang, 0 if value.is_integer() else 2)


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return ""
    return str(value)
