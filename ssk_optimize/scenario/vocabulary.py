"""The closed vocabularies of the scenario file (domain.md sections 2 and 5)."""

from __future__ import annotations

from typing import Literal, get_args

SourceType = Literal[
    "APBN", "DAK", "APBD_PROV", "APBD_KAB", "DANA_DESA", "CSR", "MASYARAKAT", "RETRIBUSI", "HIBAH"
]
Kind = Literal["construction", "study", "land", "promotion", "institutional", "supporting", "om"]
Scale = Literal["individual", "komunal", "desa", "permukiman", "perkotaan", "regional"]
Subsector = Literal["air_limbah", "persampahan", "drainase", "higiene", "air_minum"]
MoneyUnit = Literal["rupiah", "ribu", "juta", "miliar"]

SOURCE_TYPES: tuple[str, ...] = get_args(SourceType)
KINDS: tuple[str, ...] = get_args(Kind)
SCALES: tuple[str, ...] = get_args(Scale)
SUBSECTORS: tuple[str, ...] = get_args(Subsector)
MONEY_UNITS: tuple[str, ...] = get_args(MoneyUnit)

DEFAULT_SOURCE_PREFERENCE: tuple[str, ...] = (
    "DAK", "DANA_DESA", "APBN", "HIBAH", "APBD_PROV", "CSR", "APBD_KAB", "MASYARAKAT", "RETRIBUSI"
)

#: Rupiah per money unit: results are reported in the scenario's own unit.
RUPIAH_PER_UNIT: dict[str, float] = {"rupiah": 1.0, "ribu": 1e3, "juta": 1e6, "miliar": 1e9}

#: Holder id that means "the central government": covers every programme.
NATIONAL = "national"
