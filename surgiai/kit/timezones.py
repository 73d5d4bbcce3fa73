"""The IANA time zones people choose from, findable by what they call them: a zone's city
("Kolkata"), its old name ("Asia/Calcutta"), its country ("India") or abbreviation ("IST").

Browsers list only some names (Chromium offers "Asia/Calcutta" and no "Asia/Kolkata"), so the
server's tz database (the `tzdata` package, as `zoneinfo` reads it) is the one list."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

from surgiai.kit.time import utcnow

_TZDATA = "tzdata.zoneinfo"
# Shown as "UTC", which people type, rather than the database's "Etc/UTC".
_UTC = "UTC"
# Files of the database that name no place.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
# Between the words of a name or a query ("America/Port_of_Spain", "Asia/Kolkata (IST)").
_WORD_BREAK = re.compile(r"[\s/_,()]+")


@dataclass(frozen=True)
class TimeZoneOption:
    # The name to store ("Asia/Kolkata").
    name: str
    # "Kolkata", "Port of Spain".
    city: str
    # "India"; None for zones of no country (UTC, Etc/GMT+5).
    country: str | None
    # "+05:30" now.
    utc_offset: str
    # "IST"; None where the database has only a number.
    abbreviation: str | None
    # Other names of the same zone ("Asia/Calcutta").
    aliases: tuple[str, ...]

    @property
    def keywords(self) -> list[str]:
        """The words a person may type to find it, lower-case: each part of its names, its
        country's words, its offset and abbreviation."""
        text = " ".join(
            [self.name, *self.aliases, self.country or "", self.utc_offset, self.abbreviation or ""]
        )
        return [word for word in _WORD_BREAK.split(text.lower()) if word]

    def score(self, query: str) -> int:
        """How well `query` names it: each of its words must begin one of the keywords (2
        points when it is the whole keyword, 1 when it begins one); 0 when any word misses."""
        keywords = self.keywords
        total = 0
        for word in _WORD_BREAK.split(query.lower()):
            if not word:
                continue
            if word in keywords:
                total += 2
            elif any(keyword.startswith(word) for keyword in keywords):
                total += 1
            else:
                return 0
        return total


def _read(name: str) -> str:
    return resources.files(_TZDATA).joinpath(name).read_text(encoding="utf-8")


def _links() -> dict[str, str]:
    """alias → the zone it names (`L Asia/Kolkata Asia/Calcutta` in tzdata.zi)."""
    links = {}
    for line in _read("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            links[alias] = target
    return links


def _countries() -> dict[str, str]:
    """zone → country name, from zone.tab and iso3166.tab."""
    names = {}
    for line in _read("iso3166.tab").splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t", 1)
            names[code] = name.strip()
    zones = {}
    for line in _read("zone.tab").splitlines():
        if line and not line.startswith("#"):
            code, _, zone_name, *_ = line.split("\t")
            zones[zone_name] = names.get(code, code)
    return zones


def _offset(zone: ZoneInfo, moment: datetime) -> str:
    offset = zone.utcoffset(moment)
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


@functools.cache
def _aliases() -> dict[str, str]:
    """Old and alternative name → the name to show and store. A zone a country lists
    (zone.tab: "Europe/Oslo") is its own choice even where the database links it to another
    zone with the same clocks; "Asia/Calcutta", "US/Eastern" and the like are aliases."""
    listed = set(_countries())
    return {
        alias: _UTC if target == "Etc/UTC" else target
        for alias, target in _links().items()
        if alias not in listed and alias != _UTC
    } | {"Etc/UTC": _UTC}


def canonical(name: str) -> str:
    """The name to store for `name` ("Asia/Calcutta" → "Asia/Kolkata"); others unchanged."""
    return _aliases().get(name, name)


@functools.cache
def _options_on(day: str) -> tuple[TimeZoneOption, ...]:
    # Offsets and abbreviations change with daylight saving: computed once a day.
    moment = datetime.fromisoformat(day)
    countries = _countries()
    aliases: dict[str, list[str]] = {}
    for alias, target in _aliases().items():
        aliases.setdefault(target, []).append(alias)
    names = {canonical(name) for name in available_timezones()} - _NOT_ZONES
    options = []
    for name in sorted(names):
        zone = ZoneInfo(name)
        abbreviation = zone.tzname(moment)
        options.append(
            TimeZoneOption(
                name=name,
                city=name.rsplit("/", 1)[-1].replace("_", " "),
                country=countries.get(name),
                utc_offset=_offset(zone, moment),
                abbreviation=abbreviation if abbreviation and abbreviation[0].isalpha() else None,
                aliases=tuple(sorted(alias for alias in aliases.get(name, []) if alias != name)),
            )
        )
    return tuple(options)


def time_zone_options(query: str = "", now: datetime | None = None) -> list[TimeZoneOption]:
    """Every zone by name (aliases folded into the zone they name), or those `query` names,
    best first."""
    options = _options_on((now or utcnow()).date().isoformat())
    if not query.strip():
        return list(options)
    scored = [(option.score(query), option) for option in options]
    return [option for score, option in sorted(scored, key=lambda pair: -pair[0]) if score]
