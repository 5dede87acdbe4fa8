"""Seeded fake identifiers, names and timestamps for synthetic raw exports (never real people)."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd

_NAMES = {
    "rw": {
        "Female": [
            "Uwase",
            "Mukamana",
            "Ingabire",
            "Uwimana",
            "Mukandayisenga",
            "Nyirahabimana",
            "Umutoni",
            "Mutesi",
        ],
        "Male": [
            "Habimana",
            "Niyonzima",
            "Mugisha",
            "Nshimiyimana",
            "Hakizimana",
            "Bizimana",
            "Ndayisaba",
            "Kamanzi",
        ],
        "given": {
            "Female": ["Marie", "Jeanne", "Claudine", "Alice", "Grace"],
            "Male": ["Jean", "Emmanuel", "Eric", "Patrick", "Innocent"],
        },
    },
    "tj": {
        "Female": [
            "Rahimova",
            "Karimova",
            "Saidova",
            "Nazarova",
            "Sharipova",
            "Davlatova",
            "Yusupova",
            "Odinaeva",
        ],
        "Male": [
            "Rahimov",
            "Karimov",
            "Saidov",
            "Nazarov",
            "Sharipov",
            "Davlatov",
            "Yusupov",
            "Odinaev",
        ],
        "given": {
            "Female": [
                "Zarina",
                "Madina",
                "Firuza",
                "Nigora",
                "Gulnora",
                "Dilafroz",
                "Munira",
                "Sitora",
            ],
            "Male": ["Rustam", "Farhod", "Bahrom", "Jamshed", "Sino", "Davron"],
        },
    },
}
_VILLAGE_STEMS = [
    "Kabeza",
    "Rugando",
    "Nyakabanda",
    "Gatare",
    "Kimisange",
    "Rwinkwavu",
    "Bweramana",
    "Cyanika",
    "Gahanga",
    "Kinyinya",
    "Mbuye",
    "Nyamirambo",
    "Rukoma",
    "Shyogwe",
    "Tare",
    "Musha",
    "Gikomero",
    "Kigabiro",
    "Ruyenzi",
    "Mata",
    "Kibilizi",
    "Mwendo",
    "Gitega",
    "Karama",
    "Ruhuha",
    "Masaka",
    "Nyarutarama",
    "Busoro",
    "Kanombe",
    "Rubona",
    "Gisozi",
    "Munini",
    "Kavumu",
    "Nkomero",
    "Buhanda",
    "Kirwa",
    "Mugina",
    "Rusatira",
    "Simbi",
    "Zivu",
]


def fake_names(rng: np.random.Generator, sexes, culture: str) -> list[str]:
    names = _NAMES[culture]
    return [
        f"{names['given'][s][int(rng.integers(len(names['given'][s])))]}"
        f" {names[s][int(rng.integers(len(names[s])))]}"
        for s in sexes
    ]


def fake_phones(rng: np.random.Generator, n: int, prefix: str) -> list[str]:
    return [f"{prefix}{int(x):07d}" for x in rng.integers(0, 10**7, n)]


def fake_uuids(rng: np.random.Generator, n: int) -> list[str]:
    return [str(uuid.UUID(int=int.from_bytes(rng.bytes(16), "big"), version=4)) for _ in range(n)]


def submission_times(rng: np.random.Generator, n: int, start: str, end: str) -> pd.DatetimeIndex:
    """Uniform times between 07:00 and 18:00 on days in [start, end]."""
    days = pd.date_range(start, end, freq="D")
    day = days[rng.integers(0, len(days), n)]
    seconds = rng.integers(7 * 3600, 18 * 3600, n)
    return pd.DatetimeIndex(day + pd.to_timedelta(seconds, unit="s"))


def villages_for(district: str, k: int) -> list[str]:
    """k stable village names for a district (derived from the district name, not random)."""
    start = sum(ord(c) for c in district) % len(_VILLAGE_STEMS)
    return [_VILLAGE_STEMS[(start + 7 * i) % len(_VILLAGE_STEMS)] for i in range(k)]


# Ways enumerators mistype a text category: case and spacing only (cleaning must undo them).
TEXT_VARIANTS = [
    str.lower,
    str.upper,
    lambda s: "  " + s,
    lambda s: s + "  ",
    lambda s: s.lower() + " ",
    lambda s: s.replace(" ", "  "),
]
