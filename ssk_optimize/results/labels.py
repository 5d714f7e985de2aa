"""Words and numbers for people: Indonesian by default, English on request.

Every text a report, workbook or comparison shows for a fixed vocabulary (sources, sub-sectors,
waiting-list reasons, table headings) comes from :data:`LABELS`; ids a planner wrote (programme,
pool and region ids, names) are shown as written. :func:`number` formats money and counts in the
reader's convention: ``1.234,5`` in Indonesian, ``1,234.5`` in English.
"""

from __future__ import annotations

import math
from typing import Literal

Lang = Literal["id", "en"]
LANGS: tuple[Lang, ...] = ("id", "en")

LABELS: dict[str, tuple[str, str]] = {  # key -> (Indonesian, English)
    # sources (domain.md section 2)
    "APBN": ("APBN", "APBN (central budget)"),
    "DAK": ("DAK", "DAK (special allocation fund)"),
    "APBD_PROV": ("APBD Provinsi", "APBD Provinsi (provincial budget)"),
    "APBD_KAB": ("APBD Kabupaten/Kota", "APBD Kabupaten/Kota (district budget)"),
    "DANA_DESA": ("Dana Desa", "Dana Desa (village fund)"),
    "CSR": ("CSR/Swasta", "CSR/private"),
    "MASYARAKAT": ("Masyarakat", "Community"),
    "RETRIBUSI": ("Retribusi", "User fees (retribusi)"),
    "HIBAH": ("Hibah", "Grants (hibah)"),
    # sub-sectors
    "air_limbah": ("Air limbah domestik", "Domestic wastewater"),
    "persampahan": ("Persampahan", "Solid waste"),
    "drainase": ("Drainase lingkungan", "Drainage"),
    "higiene": ("Promosi higiene", "Hygiene promotion"),
    "air_minum": ("Air minum", "Drinking water"),
    # waiting-list reasons (results/reasons.REASONS)
    "fully_funded": ("Terdanai penuh", "Fully funded"),
    "no_eligible_source": ("Tidak ada sumber yang berwenang", "No pool may legally fund it"),
    "readiness": ("Menunggu kesiapan (prasyarat)", "Waiting for a prerequisite"),
    "pool_exhausted": ("Dana sumber yang berwenang habis", "Eligible pools exhausted"),
    "om_burden": ("Beban O&M tidak tertampung", "O&M burden cannot be carried"),
    "share_cap": ("Batas porsi sumber dana", "Source share limit"),
    "year_window": ("Di luar tahun pelaksanaan", "Outside its years"),
    "capacity": ("Batas kapasitas pelaksanaan", "Implementation capacity limit"),
    "alternative": ("Alternatif lain dipilih", "Its alternative was chosen"),
    # headings
    "group_government": ("A. Pemerintah", "A. Government"),
    "group_non_government": ("B. Non-pemerintah", "B. Non-government"),
    "funding_source": ("Sumber Pendanaan", "Funding source"),
    "subsector": ("Sub-sektor", "Sub-sector"),
    "need": ("Kebutuhan", "Need"),
    "funded": ("Terdanai", "Funded"),
    "gap": ("Kesenjangan (Gap)", "Gap"),
    "total": ("Jumlah", "Total"),
    "om": ("Operasi dan pemeliharaan", "Operation and maintenance"),
    "apbd_murni": ("Perkiraan APBD murni untuk sanitasi", "Estimated own APBD for sanitation"),
    "commitment": ("Perkiraan komitmen pendanaan", "Estimated committed funding"),
    "waiting_list": ("Daftar Tunggu", "Waiting list"),
    "programme": ("Program/Kegiatan", "Programme"),
    "pool": ("Pos anggaran", "Pool"),
    "year": ("Tahun", "Year"),
    "reason": ("Alasan", "Reason"),
    "detail": ("Keterangan", "Detail"),
    "shadow_price": ("Harga bayangan", "Shadow price"),
    "coverage": ("Cakupan", "Coverage"),
    "target": ("Target", "Target"),
    "budget": ("Pagu", "Budget"),
    "used": ("Terpakai", "Used"),
    "unused": ("Sisa", "Unused"),
    # workbook (results/workbook.py): sheet names (at most 31 characters), columns, values
    "sheet_tabel_5_1": ("Tabel 5.1", "Table 5.1"),
    "sheet_tabel_5_2": ("Tabel 5.2", "Table 5.2"),
    "sheet_allocations": ("Alokasi", "Allocations"),
    "sheet_pools": ("Pos Anggaran", "Pools"),
    "sheet_about": ("Keterangan", "About"),
    "purpose": ("Peruntukan", "Purpose"),
    "amount": ("Nilai", "Amount"),
    "capex": ("Belanja modal", "Capital"),
    "baseline_om": ("O&M sarana yang ada", "O&M of existing assets"),
    "region": ("Wilayah", "Region"),
    "code": ("Kode", "Code"),
    "program_id": ("ID program", "Programme id"),
    "row_number": ("No.", "No."),
    "used_share": ("Porsi terpakai", "Used share"),
    "firmness": ("Kepastian", "Firmness"),
    "firm": ("Pasti", "Firm"),
    "indicative": ("Indikatif", "Indicative"),
    "shadow_price_targets": ("Harga bayangan (target)", "Shadow price (targets)"),
    "shadow_price_priority": ("Harga bayangan (prioritas)", "Shadow price (priority)"),
    "range_low": ("Batas bawah pagu", "Budget range low"),
    "range_high": ("Batas atas pagu", "Budget range high"),
    "item": ("Butir", "Item"),
    "value": ("Isi", "Value"),
    "run_folder": ("Folder hasil", "Run folder"),
    "money_unit": ("Satuan uang", "Money unit"),
    "solver": ("Solver", "Solver"),
    "engine_version": ("Versi ssk-opt", "ssk-opt version"),
    "scenario_sha256": ("Hash skenario (SHA-256)", "Scenario hash (SHA-256)"),
    "overrides": ("Perubahan (--set)", "Overrides (--set)"),
    "warnings": ("Peringatan", "Warnings"),
    "none": ("(tidak ada)", "(none)"),
    "tabel_5_1": ("Tabel 5.1 Indikasi kebutuhan biaya per sub-sektor",
                  "Table 5.1 Indicated cost by sub-sector"),
    "tabel_5_2": ("Tabel 5.2 Indikasi pendanaan per sumber", "Table 5.2 Indicated funding by source"),
    # the HTML report (results/report.py)
    "report_title": ("Laporan optimasi pendanaan SSK", "SSK funding optimisation report"),
    "contents": ("Daftar isi", "Contents"),
    "run": ("Skenario hasil", "Run"),
    "scenario": ("Skenario", "Scenario"),
    "status": ("Status", "Status"),
    "money_in": ("Dalam Rp", "In Rp"),
    "subtotal": ("Sub-jumlah", "Subtotal"),
    "funded_share": ("Porsi terdanai", "Funded share"),
    "shortfall": ("Kekurangan terhadap target (rumah tangga)", "Shortfall against targets (households)"),
    "chart_money_by_source": ("Pendanaan per sumber per tahun", "Money by source per year"),
    "chart_need_by_programme": ("Kebutuhan, terdanai dan kesenjangan per program (kebutuhan terbesar)",
                                "Need, funded and gap by programme (largest needs)"),
    "chart_coverage": ("Cakupan terhadap target per tahun", "Coverage against targets over the years"),
    "chart_shadow_prices": ("Harga bayangan pos anggaran", "Shadow prices of the pools"),
    "chart_compare_sources": ("Pendanaan per sumber, per skenario hasil", "Money by source, per run"),
    "price_targets": ("Rumah tangga kekurangan yang dihindari per tambahan Rp 1 {unit}",
                      "Households of shortfall avoided per extra Rp 1 {unit}"),
    "price_priority": ("Poin prioritas per tambahan Rp 1 {unit}", "Priority points per extra Rp 1 {unit}"),
    "no_prices": ("Tidak ada pos anggaran dengan harga bayangan bukan nol: tambahan dana di pos mana pun "
                  "tidak mengubah hasil.",
                  "No pool has a non-zero shadow price: more money in any pool would not change the plan."),
    "no_waiting": ("Tidak ada program dalam daftar tunggu.", "No programme is on the waiting list."),
    "waiting_shown": ("{shown} dari {count} program dalam daftar tunggu, diurutkan menurut kesenjangan.",
                      "{shown} of {count} waiting programmes, by gap."),
    "comparison": ("Perbandingan skenario hasil", "Comparison of runs"),
    "base_run": ("Skenario dasar: {name}. Selisih dihitung terhadap skenario dasar.",
                 "Base run: {name}. Differences are against the base run."),
    "difference": ("Selisih", "Difference"),
    "totals_by_source": ("Jumlah pendanaan per sumber", "Total money by source"),
    "totals_by_year": ("Jumlah pendanaan per tahun", "Total money by year"),
    "totals": ("Ringkasan", "Summary"),
    "allocated": ("Jumlah pendanaan (termasuk O&M)", "Total money (O&M included)"),
    "waiting_count": ("Program dalam daftar tunggu", "Programmes on the waiting list"),
    "waiting_changes": ("Program yang status daftar tunggunya berbeda",
                        "Programmes whose waiting-list status differs"),
    "no_waiting_changes": ("Status daftar tunggu sama di semua skenario hasil.",
                           "The waiting-list status is the same in every run."),
    "on_waiting_list": ("Daftar tunggu", "Waiting"),
    "absent": ("Tidak ada dalam skenario", "Not in this run"),
    "not_optimal": ("Hasil ini belum terbukti optimal.", "This run was not proved optimal."),
    "generated": ("Dibuat oleh ssk-opt {version}.", "Made by ssk-opt {version}."),
    # ssk-opt explain (results/explain_text.py)
    "explain_title": ("Program: {name}", "Programme: {name}"),
    "explain_status": ("Terdanai {funded} dari kebutuhan {need} {unit} ({share}); kesenjangan {gap}; "
                       "prioritas {priority}.",
                       "Funded {funded} of a need of {need} {unit} ({share}); gap {gap}; "
                       "priority {priority}."),
    "who_may_fund": ("1. Siapa yang boleh mendanai", "1. Who may fund it"),
    "may_pay": ("boleh membayar: {what}", "may pay: {what}"),
    "may_not": ("tidak boleh: {reason}", "may not: {reason}"),
    "fullness": ("2. Keterisian pos anggaran yang boleh, {years} ({unit})",
                 "2. How full its eligible pools are, {years} ({unit})"),
    "fullness_row": ("{pool} {year}: pagu {budget}, terpakai {used}, sisa {unused}{price}",
                     "{pool} {year}: budget {budget}, used {used}, unused {unused}{price}"),
    "price_text": ("; harga bayangan (prioritas) {price} berlaku untuk pagu {low}-{high}",
                   "; shadow price (priority) {price} valid for budgets {low}-{high}"),
    "higher_users": ("   dipakai program berprioritas lebih tinggi di {pool}: {users}",
                     "   used by higher-priority programmes in {pool}: {users}"),
    "no_higher_users": ("   tidak ada program berprioritas lebih tinggi yang memakai pos ini",
                        "   no higher-priority programme uses these pools"),
    "its_limit": ("3. Batasnya: {reason}", "3. Its limit: {reason}"),
    "what_funds": ("4. Yang akan mendanainya", "4. What would fund it"),
    "cheapest_change": ("Perubahan pagu termurah: tambahan {total} {unit} ({pools})",
                        "Cheapest budget change: {total} {unit} more ({pools})"),
    "partial_reach": ("Dengan dana tak terbatas pun hanya {share} yang dapat dicapai; sisanya ditahan oleh: "
                      "{rules}.", "Even with unlimited money it can reach only {share}; the rest is held "
                      "by: {rules}."),
    "money_cannot_help": ("Tambahan dana tidak menambah pendanaannya; yang menahan: {rules}.",
                          "More money would not fund more of it; it is held by: {rules}."),
    "not_solved": ("Perhitungan perubahan pagu gagal ({detail}).", "The budget change could not be "
                   "computed ({detail})."),
    "earmark_note": ("Penguncian (locked) di bawah menjaga dana baru untuk program ini: tanpa itu, "
                     "penyelesaian ulang leksikografis dapat memberikannya kepada program yang "
                     "peringkatnya lebih tinggi.",
                     "The earmarks (locked) below keep the new money for this programme: without them "
                     "the lexicographic re-solve may give it to a programme ranked before it."),
    "base_note": ("{pool} diproyeksikan dari base: base.amount baru menaikkan pagu semua tahun.",
                  "{pool} is projected from base: the new base.amount raises its budget in every year."),
    "add_to_solve": ("Tambahkan ke perintah solve:", "Add to the solve command:"),
    "rule_suggestion": ("Perubahan aturan yang disarankan: --set '{text}'",
                        "Suggested rule change: --set '{text}'"),
    "no_rule_suggestion": ("Tidak ada perubahan aturan sederhana yang disarankan.",
                           "No simple rule change to suggest."),
    "resolved_rises": ("Diverifikasi (diselesaikan ulang): terdanai naik dari {before} menjadi {after} "
                       "{unit} ({share_before} -> {share_after}).",
                       "Re-solved: funded rises from {before} to {after} {unit} ({share_before} -> "
                       "{share_after})."),
    "resolved_not": ("Diselesaikan ulang: terdanai tidak naik ({before} -> {after} {unit}, status "
                     "{status}).", "Re-solved: funded does not rise ({before} -> {after} {unit}, "
                     "status {status})."),
    "capital": ("belanja modal", "capital"),
    "rules_unknown": ("aturan yang menahan program lain pada tingkat hasil", "the other programmes "
                      "held at their run amounts"),
    "rule_readiness": ("kesiapan (prasyarat {other})", "readiness (prerequisite {other})"),
    "rule_max_per_year": ("kapasitas per tahun (max_per_year)", "capacity per year (max_per_year)"),
    "rule_capex_growth": ("pertumbuhan belanja modal wilayah {region} (capex_growth)",
                          "capital growth of region {region} (capex_growth)"),
    "rule_per_region": ("batas per wilayah {pool} (per_region)", "per-region limit of {pool} (per_region)"),
    "rule_matching": ("dana pendamping (matching)", "matching money (matching)"),
    "rule_masyarakat_share": ("porsi masyarakat (masyarakat_share)", "community share (masyarakat_share)"),
    "rule_dak_supporting": ("batas biaya penunjang DAK {pool}", "DAK supporting-cost cap of {pool}"),
    "rule_excludes": ("alternatif {other} (excludes)", "alternative {other} (excludes)"),
    "rule_om_obligation": ("O&M asetnya (om_rate)", "the O&M of its assets (om_rate)"),
    "rule_om_handover": ("batas O&M yang diwariskan (om_handover_cap)", "O&M handover cap (om_handover_cap)"),
    "rule_desa_share": ("porsi Dana Desa (desa_share)", "Dana Desa share (desa_share)"),
    "rule_recipients": ("bantuan keuangan khusus {pool} (recipients)",
                        "bantuan keuangan khusus of {pool} (recipients)"),
    "rule_pool_requires": ("pos {pool} baru terbuka setelah prasyarat (requires)",
                           "pool {pool} opens only after its prerequisite (requires)"),
    "rule_pool_open": ("pos {pool} baru terbuka setelah {other} (requires)",
                       "pool {pool} opens only after {other} (requires)"),
    "rule_max_years": ("lama pembayaran per unit (max_years)", "payment years per unit (max_years)"),
    "rule_years": ("tahun pelaksanaan {years}", "its years {years}"),
}


def label(key: str, lang: Lang = "id") -> str:
    """The word for ``key`` in ``lang``; an unknown key (a planner's own id) as it is."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "id" else pair[1]


def number(value: float | None, lang: Lang = "id", decimals: int = 0) -> str:
    """``1234.5`` as ``1.234,5`` (id) or ``1,234.5`` (en); NaN or None as an empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    text = f"{value:,.{decimals}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")  # no "-0"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def percent(share: float | None, lang: Lang = "id", decimals: int = 0) -> str:
    """``0.853`` as ``85%`` (``85,3%`` with one decimal in Indonesian)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return ""
    return number(share * 100.0, lang, decimals) + "%"
