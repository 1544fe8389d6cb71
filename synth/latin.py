"""Latin-script names for a generator profile whose bank is not Chinese (``euro_retail``): Czech people, companies,
streets and towns, with diacritics (Nováková, České Budějovice), written in UTF-8.

``latinize(world, rng)`` renames the simulated bank in place after it is built: the same old name always gets the
same new one, so a corporate customer named as a counterparty keeps matching its customer record, and a household
keeps one address.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from synth.ids import STR
from synth.reference import DEPT_NAMES, LEVEL_CODES
from synth.world import World

# (male surname, female surname), most frequent first
SURNAMES = [
    ("Novák", "Nováková"), ("Svoboda", "Svobodová"), ("Novotný", "Novotná"), ("Dvořák", "Dvořáková"),
    ("Černý", "Černá"), ("Procházka", "Procházková"), ("Kučera", "Kučerová"), ("Veselý", "Veselá"),
    ("Horák", "Horáková"), ("Němec", "Němcová"), ("Pokorný", "Pokorná"), ("Marek", "Marková"),
    ("Pospíšil", "Pospíšilová"), ("Hájek", "Hájková"), ("Jelínek", "Jelínková"), ("Král", "Králová"),
    ("Růžička", "Růžičková"), ("Beneš", "Benešová"), ("Fiala", "Fialová"), ("Sedláček", "Sedláčková"),
    ("Doležal", "Doležalová"), ("Zeman", "Zemanová"), ("Kolář", "Kolářová"), ("Navrátil", "Navrátilová"),
    ("Čermák", "Čermáková"), ("Vaněk", "Vaňková"), ("Urban", "Urbanová"), ("Blažek", "Blažková"),
    ("Kříž", "Křížová"), ("Kovář", "Kovářová"), ("Bartoš", "Bartošová"), ("Vlček", "Vlčková"),
    ("Šťastný", "Šťastná"), ("Říha", "Říhová"), ("Holub", "Holubová"), ("Mareš", "Marešová"),
]
GIVEN_MALE = ["Jiří", "Jan", "Petr", "Josef", "Pavel", "Martin", "Tomáš", "Jaroslav", "Miroslav", "Zdeněk",
              "Václav", "Michal", "František", "Jakub", "Lukáš", "Ondřej", "Radek", "Matěj", "Vojtěch", "Dušan"]
GIVEN_FEMALE = ["Jana", "Marie", "Eva", "Hana", "Anna", "Lenka", "Kateřina", "Lucie", "Věra", "Alena", "Petra",
                "Veronika", "Jaroslava", "Tereza", "Martina", "Michaela", "Zuzana", "Šárka", "Markéta", "Radka"]
# one town per city of the Chinese vocabulary (synth.vocab.CITIES, same order), with its postcode prefix
TOWNS = [("Praha", "110"), ("České Budějovice", "370"), ("Brno", "602"), ("Ostrava", "702"), ("Plzeň", "301"),
         ("Liberec", "460"), ("Olomouc", "779"), ("Hradec Králové", "500"), ("Ústí nad Labem", "400"),
         ("Pardubice", "530"), ("Zlín", "760"), ("Havířov", "736"), ("Kladno", "272"), ("Most", "434"),
         ("Opava", "746"), ("Jihlava", "586")]
STREETS = ["Národní", "Masarykova", "Husova", "Palackého", "Komenského", "Nádražní", "Žižkova", "Smetanova",
           "Jiráskova", "Tyršova", "Dvořákova", "Revoluční", "Sokolská", "Školní", "Lidická", "Štefánikova",
           "Karlova", "Zámecká", "Náměstí Míru", "U Rybníčku"]
BRANDS = ["Šumava", "Vltava", "Krkonoše", "Morava", "Labe", "Beskydy", "Hořec", "Jeřáb", "Lípa", "Řemeslo",
          "Český kříšťál", "Sázava", "Říp", "Ještěd", "Pálava", "Třeboň"]
TRADES = ["stavební", "strojírna", "obchod", "doprava", "potraviny", "elektro", "software", "dřevovýroba",
          "textil", "služby", "nábytek", "účetnictví"]
LEGAL_FORMS = ["s.r.o.", "a.s.", "spol. s r.o.", "v.o.s."]
DEPARTMENTS = {"RET": "retail", "CORP": "firemní klientela", "CARD": "karty", "OPS": "provoz", "IT": "IT",
               "ADM": "správa"}
assert set(DEPARTMENTS) == set(DEPT_NAMES)


def _pick(rng: np.random.Generator, values: list[str]) -> str:
    return values[int(rng.integers(len(values)))]


def person(rng: np.random.Generator, gender: str) -> str:
    surname = SURNAMES[min(int(rng.zipf(1.6)) - 1, len(SURNAMES) - 1)]
    if gender == "F":
        return f"{_pick(rng, GIVEN_FEMALE)} {surname[1]}"
    return f"{_pick(rng, GIVEN_MALE)} {surname[0]}"


def company(rng: np.random.Generator) -> str:
    return f"{_pick(rng, BRANDS)} {_pick(rng, TRADES)} {_pick(rng, LEGAL_FORMS)}"


def _renamed(values: np.ndarray, table: dict[str, str], make: Callable[[int], str]) -> np.ndarray:
    out = []
    for i, old in enumerate(values.tolist()):
        if old not in table:
            table[old] = make(i)
        out.append(table[old])
    return np.asarray(out, dtype=STR)


def latinize(world: World, rng: np.random.Generator) -> None:
    """Rename people, companies, addresses, branches and cost centres of ``world`` in Czech (in place)."""
    c = world.customers
    names: dict[str, str] = {}
    gender = c.gender.tolist()
    corporate = c.corporate.tolist()
    c.name = _renamed(c.name, names, lambda i: company(rng) if corporate[i] else person(rng, gender[i]))
    city = c.city.tolist()
    c.address = _renamed(c.address, {}, lambda i: (
        f"{_pick(rng, STREETS)} {int(rng.integers(1, 200))}, {TOWNS[city[i] % len(TOWNS)][1]} 00 "
        f"{TOWNS[city[i] % len(TOWNS)][0]}"))
    p = world.parties
    people = p.slices["people"]
    kinds = np.zeros(len(p.names), dtype=bool)
    kinds[people] = True
    is_person = kinds.tolist()
    p.names = _renamed(p.names, names, lambda i: person(rng, "F" if rng.random() < 0.5 else "M") if is_person[i]
                       else company(rng))
    m = world.managers
    m.name = np.asarray([person(rng, "F" if rng.random() < 0.5 else "M") for _ in range(len(m))], dtype=STR)
    b = world.branches
    towns = [TOWNS[i % len(TOWNS)][0] for i in b.city_index.tolist()]
    level = [LEVEL_CODES[k] for k in b.level.tolist()]
    branch_names = []
    for i, (town, lvl) in enumerate(zip(towns, level, strict=True)):
        if lvl == "HO":
            branch_names.append("Centrála Praha")
        elif lvl == "REGION":
            branch_names.append(f"Region {town}")
        elif lvl == "BRANCH":
            branch_names.append(f"Pobočka {town} {_pick(rng, STREETS)}")
        else:
            branch_names.append(f"Obchodní místo {town} {i}")
    b.name = np.asarray(branch_names, dtype=STR)
    b.city = np.asarray(towns, dtype=STR)
    cc = world.cost_centres
    cc.name = np.asarray([_fit(f"{DEPARTMENTS[str(d)]} – {b.name[k]}", COST_CENTRE_NAME_BYTES) for k, d in
                          zip(cc.branch.tolist(), cc.department.tolist(), strict=True)], dtype=STR)


COST_CENTRE_NAME_BYTES = 40  # accounting.cost_centres.cost_centre_name: a fixed-width field of 40 bytes


def _fit(value: str, limit: int) -> str:
    """``value`` cut to at most ``limit`` UTF-8 bytes, whole characters only."""
    while len(value.encode("utf-8")) > limit:
        value = value[:-1]
    return value.rstrip()
