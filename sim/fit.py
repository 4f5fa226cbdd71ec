"""Fit from data: a county's own referral and duration records turned into scenario fields.

``worksim fit FILE`` (sim/cli.py) reads one CSV file and writes a YAML fragment of a scenario:

* **referrals** — one row per referral (a date and a source column) or monthly counts (month,
  source, count): the yearly rate of each source with a 95 % exact Poisson (Garwood)
  interval, twelve monthly multipliers (January first, mean 1) and a likelihood-ratio test of
  the month effects in a Poisson model; without support (p ≥ 0.05 or under 12 months of data)
  the seasonality written is flat and the report says so.
* **durations** — a start and an end date, or a number of days; a missing end date is a spell
  still ongoing, right-censored at ``as_of`` (the latest date in the file unless given). The
  exponential, lognormal, gamma and Weibull distributions are fitted by maximum likelihood with
  the censored spells' survival in the likelihood, compared by AIC and by a censoring-aware
  Kolmogorov–Smirnov distance (the largest gap between the fitted CDF and the Kaplan–Meier
  estimate), and the best is written as a scenario ``Dist`` (mean, cv).

Files are read with care for Finnish exports: a ``;`` separator with decimal commas, dd.mm.yyyy
dates, a UTF-8 byte-order mark or cp1252 text. A bad file raises :class:`DataError` (a
ValueError) with one message naming the row, the column and the fix. Every fitted field is
cited in the fragment's ``sources:`` map as "fitted from FILE, N records, DATE".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .learning.text import number, t
from .scenario import Dist, ScenarioError, preset
from .streams import weibull_cv

__all__ = ["DataError", "MAX_DATA_BYTES", "Table", "read_table", "read_data", "ReferralFit",
           "DurationFit", "Candidate", "fit_referrals", "fit_durations", "fit_file", "fit_data",
           "fit_table", "fragment_text",
           "poisson_ci", "seasonality_test", "kaplan_meier", "CANDIDATES"]

MAX_DATA_BYTES = 20_000_000
"""Largest data file read (bytes): a county's referrals for decades are far smaller."""
MAX_ROWS = 1_000_000
"""Most data rows read."""
CANDIDATES = ("exponential", "lognormal", "gamma", "weibull")
"""The distributions fitted to durations, in the order the table lists them."""
SEASONALITY_ALPHA = 0.05
"""Month effects are written only when the likelihood-ratio test's p-value is below this."""

# Column names, English and Finnish, as a file may head them (compared in lower case).
COLUMNS = {
    "date": ("date", "referral_date", "referred", "päivämäärä", "pvm", "lähetepäivä", "ohjauspäivä"),
    "source": ("source", "referral_source", "lähde", "ohjaaja", "ohjaava_taho", "taho"),
    "month": ("month", "kuukausi", "kk"),
    "count": ("count", "n", "referrals", "lukumäärä", "määrä", "ohjauksia"),
    "start": ("start", "start_date", "alku", "alkupäivä", "alkupvm", "aloitus"),
    "end": ("end", "end_date", "loppu", "loppupäivä", "loppupvm", "päättyi"),
    "days": ("days", "duration", "duration_days", "kesto", "päivät", "kesto_päivinä"),
    "ongoing": ("ongoing", "censored", "jatkuu", "kesken"),
}
LAYOUTS = {
    "referrals": ("date", "source"),
    "monthly": ("month", "source", "count"),
    "spells": ("start", "end"),
    "days": ("days",),
}
_LAYOUT_TEXT = ("date,source (one row per referral); month,source,count (monthly counts); "
                "start,end (dates; an empty end = still ongoing); or days (with an optional "
                "ongoing column of yes/no)")


class DataError(ValueError):
    """A data file cannot be read or fitted; the message names the row, the column and the fix."""


# --- reading ----------------------------------------------------------------------------------

@dataclass
class Table:
    """A CSV file's rows as text, with what was detected about it."""

    path: str
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)
    delimiter: str
    encoding: str
    columns: dict[str, int] = field(default_factory=dict)  # role -> index
    layout: str = ""

    def cell(self, line: int, cells: list[str], role: str) -> str:
        index = self.columns[role]
        return cells[index].strip() if index < len(cells) else ""

    def where(self, line: int, role: str) -> str:
        return f"{self.path}: row {line}, column '{self.header[self.columns[role]]}'"


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _decode(path: str, data: bytes) -> tuple[str, str]:
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise DataError(f"{path}: row 1: an Excel workbook, not CSV text; save it as CSV "
                        "(\"CSV UTF-8\" or \"CSV (semicolon delimited)\") and give that file.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: byte {exc.start:,}: broken UTF-16 text; save the file as "
                            "UTF-8 (\"CSV UTF-8\" in Excel).") from None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise DataError(f"{path}: row {line}: a NUL byte, so not a text file; save the data as "
                        "CSV (\"CSV UTF-8\" in Excel).")
    if data.startswith(b"\xef\xbb\xbf"):
        data, bom = data[3:], True
    else:
        bom = False
    try:
        return data.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        if bom or _UTF8_MULTIBYTE.search(data):
            raise DataError(f"{path}: row {line}: byte {data[exc.start]:#04x} is not UTF-8, yet "
                            "other rows are UTF-8 (mixed encodings); save the whole file once as "
                            "UTF-8 (\"CSV UTF-8\" in Excel).") from None
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}: row {line}: byte {data[exc.start]:#04x} is neither UTF-8 nor "
                        "Windows-1252 text; save the file as UTF-8 (\"CSV UTF-8\" in Excel).") from None


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in ";,\t|"}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(path: str | Path) -> Table:
    """Read a CSV file as text rows: encoding and separator detected, size bounded."""
    p = Path(path)
    if p.is_dir():
        raise DataError(f"{path}: is a folder; give a CSV file.")
    try:
        with open(p, "rb") as fh:
            data = fh.read(MAX_DATA_BYTES + 1)
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror}).") from None
    return read_data(data, p.name)


def read_data(data: bytes | str, name: str = "data.csv") -> Table:
    """Read CSV data already in memory (an upload's bytes, or text) as text rows, as
    :func:`read_table` reads a file; *name* is the file name the messages and citations use."""
    shown = name
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > MAX_DATA_BYTES:
        raise DataError(f"{shown}: larger than {MAX_DATA_BYTES // 1_000_000} MB; give monthly "
                        "counts (month,source,count) or a shorter period.")
    if isinstance(data, str):  # text: already decoded (a byte-order mark left on is dropped)
        text, encoding = data.removeprefix("\ufeff"), "text"
    else:
        text, encoding = _decode(shown, bytes(data))
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise DataError(f"{shown}: the file is empty; give a header row ({_LAYOUT_TEXT}) and "
                        "one row per record.")
    delimiter = _delimiter(lines[first])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
                continue
            rows.append((line, cells))
            if len(rows) > MAX_ROWS:
                raise DataError(f"{shown}: more than {MAX_ROWS:,} rows; give monthly counts "
                                "(month,source,count) instead.")
    except csv.Error as exc:
        raise DataError(f"{shown}: row {reader.line_num}: {exc}; check the quotes on that row.") \
            from None
    table = Table(shown, header or [], rows, delimiter, encoding)
    _find_columns(table)
    if not rows:
        raise DataError(f"{shown}: only a header row; give at least two records below it.")
    if len(rows) < 2:
        raise DataError(f"{shown}: a single record (row {rows[0][0]}); a fit needs at least two "
                        "records, and far more for a useful one.")
    return table


def _find_columns(table: Table) -> None:
    found: dict[str, int] = {}
    for index, name in enumerate(table.header):
        key = name.strip().lower().replace(" ", "_")
        for role, names in COLUMNS.items():
            if key in names:
                if role in found:
                    raise DataError(f"{table.path}: row 1: columns '{table.header[found[role]]}' and "
                                    f"'{name}' both give the {role}; keep one.")
                found[role] = index
    for layout, roles in LAYOUTS.items():
        if all(r in found for r in roles):
            if layout == "referrals" and "count" in found:
                continue
            table.layout, table.columns = layout, found
            return
    if "end" in found and "start" not in found:
        raise DataError(f"{table.path}: row 1: column '{table.header[found['end']]}' has no start "
                        "column beside it; add a 'start' column (the first day).")
    if "start" in found:  # a start with no end column: every spell ongoing is no data
        raise DataError(f"{table.path}: row 1: column '{table.header[found['start']]}' has no end "
                        "column beside it; add an 'end' column (empty while ongoing).")
    header = ", ".join(repr(h) for h in table.header) or "nothing"
    raise DataError(f"{table.path}: row 1: the header has {header}; give the columns "
                    f"{_LAYOUT_TEXT}.")


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%Y", "%Y%m%d")
_MONTH_FORMATS = ("%Y-%m", "%m.%Y", "%m/%Y", "%Y/%m")


def parse_date(text: str) -> dt.date | None:
    """A date as written in ISO (2024-03-31) or the Finnish way (31.3.2024); None if neither.

    A date with a time after it (2024-03-31 08:15) is read as its day.
    """
    text = text.strip().split(" ")[0].split("T")[0]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_month(text: str) -> dt.date | None:
    """A month (its first day) as 2024-03, 3.2024, 03/2024 or any date in it."""
    day = parse_date(text)
    if day is not None:
        return day.replace(day=1)
    for fmt in _MONTH_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def parse_number(text: str) -> float | None:
    """A number with a decimal point or comma and optional spaces between thousands."""
    text = text.strip().replace("\u00a0", "").replace(" ", "").replace("\u2212", "-")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


_YES = {"1", "yes", "y", "true", "kyllä", "k", "x", "ongoing", "jatkuu", "kesken"}
_NO = {"0", "no", "n", "false", "ei", "", "ended", "päättynyt"}


# --- referrals --------------------------------------------------------------------------------

def poisson_ci(count: int, exposure: float, level: float = 0.95) -> tuple[float, float]:
    """The exact (Garwood) interval for a Poisson rate: ``count`` events in ``exposure``."""
    from scipy.stats import chi2
    alpha = 1 - level
    lo = chi2.ppf(alpha / 2, 2 * count) / 2 if count > 0 else 0.0
    hi = chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return lo / exposure, hi / exposure


def seasonality_test(counts: Sequence[float], exposure: Sequence[float]
                     ) -> tuple[list[float], float, float, int]:
    """Month effects in a Poisson model of counts by month of the year.

    ``counts[m]`` and ``exposure[m]`` (days observed) for the 12 months, pooled over sources: with
    the same months observed for every source, the source × month model's likelihood-ratio test
    of the month effects reduces to this one. Returns (multipliers with mean 1, G statistic,
    p-value, degrees of freedom); months never observed get multiplier 1 and no degree of freedom.
    """
    from scipy.stats import chi2
    c = np.asarray(counts, dtype=float)
    e = np.asarray(exposure, dtype=float)
    seen = e > 0
    overall = c[seen].sum() / e[seen].sum()
    rates = np.where(seen, c / np.where(seen, e, 1), overall)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where((c > 0) & seen, c * np.log(rates / overall), 0.0)
    g = float(2 * terms.sum())
    df = int(seen.sum()) - 1
    p = float(chi2.sf(g, df)) if df > 0 else 1.0
    mult = rates / overall if overall > 0 else np.ones(12)
    return list(mult / mult.mean()), g, p, df


@dataclass
class ReferralFit:
    """Yearly rates per source with 95 % intervals, and the seasonality and its test."""

    path: str
    records: int  # referrals (dated rows, or the sum of the counts)
    rows: int
    first: dt.date
    last: dt.date  # the last day observed
    days: float
    counts: dict[str, int]
    per_year: dict[str, float]
    ci: dict[str, tuple[float, float]]
    monthly: list[tuple[dt.date, int]]  # (month, referrals from all sources)
    month_counts: list[float]
    month_exposure: list[float]
    fitted_multipliers: list[float]
    g: float
    p_value: float
    df: int
    seasonal: bool
    notes: list[tuple[str, dict[str, Any]]]  # (text key, fields), shown in the report's language

    @property
    def seasonality(self) -> list[float]:
        """The twelve multipliers written: fitted if the test supports them, else flat."""
        if not self.seasonal:
            return [1.0] * 12
        rounded = [round(m, 3) for m in self.fitted_multipliers]
        rounded[int(np.argmax(rounded))] += round(12 - sum(rounded), 3)
        return [float(round(m, 3)) for m in rounded]

    def fragment(self, today: dt.date) -> dict[str, Any]:
        cite = f"fitted from {self.path}, {self.records:,} records, {today.isoformat()}"
        arrivals: dict[str, Any] = {"sources": {k: float(round(v, 1))
                                                for k, v in self.per_year.items()},
                                    "seasonality": self.seasonality}
        season_cite = (f"{cite} (month effects, {_p(self.p_value)})" if self.seasonal else
                       f"{cite} (flat: month effects not supported, {_p(self.p_value)})")
        return {"arrivals": arrivals, "sources": {"arrivals.sources": cite,
                                                  "arrivals.seasonality": season_cite}}

    def report(self, lang: str = "en") -> list[str]:
        """The fit as lines of text in *lang*: rates with intervals, then the seasonality."""
        lines = [t("fit.referrals.head", lang, path=self.path, records=number(self.records, lang),
                   sources=len(self.counts), first=self.first.isoformat(),
                   last=self.last.isoformat(), days=number(self.days, lang)),
                 f"{t('fit.col.source', lang):<24}{t('fit.col.referrals', lang):>10}"
                 f"{t('fit.col.per_year', lang):>11}   {t('fit.col.ci', lang)}"]
        for name, n in self.counts.items():
            lo, hi = self.ci[name]
            lines.append(f"{name:<24}{number(n, lang):>10}{number(self.per_year[name], lang, 1):>11}"
                         f"   {number(lo, lang, 1)}–{number(hi, lang, 1)}")
        shown = " ".join(number(m, lang, 2) for m in self.fitted_multipliers)
        lines.append(t("fit.months", lang, values=shown))
        verdict = t("fit.season.yes" if self.seasonal else "fit.season.no", lang)
        lines.append(t("fit.season.test", lang, g=number(self.g, lang, 1), df=self.df,
                       p=_p(self.p_value, lang), verdict=verdict))
        return lines + [t(key, lang, **fields) for key, fields in self.notes]


def _p(p: float, lang: str = "en") -> str:
    return f"p < {number(0.001, lang, 3)}" if p < 0.001 else f"p = {number(p, lang, 3)}"


def _month_add(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_days(month: dt.date) -> int:
    return (_month_add(month, 1) - month).days


_NOT_A_DATE = "is not a date; write it as 2024-03-31 or 31.3.2024."


def _parsed(table: Table, line: int, cells: list[str], role: str,
            parse: Callable[[str], Any], fix: str) -> Any:
    """The cell of ``role`` on a row, parsed; a cell ``parse`` refuses (None) raises the one
    message naming the row, the column, the value and ``fix``."""
    raw = table.cell(line, cells, role)
    value = parse(raw)
    if value is None:
        raise DataError(f"{table.where(line, role)}: {raw[:40]!r} {fix}")
    return value


def _count(text: str) -> int | None:
    """A whole number ≥ 0 (a month's referrals), or None."""
    n = parse_number(text)
    return int(n) if n is not None and n >= 0 and float(n).is_integer() else None


def _source(table: Table, line: int, cells: list[str]) -> str:
    name = table.cell(line, cells, "source")
    if not name:
        raise DataError(f"{table.where(line, 'source')}: empty; give the referral source's name.")
    if len(name) > 200 or not name.isprintable():
        raise DataError(f"{table.where(line, 'source')}: {name[:40]!r}… is not a name; give a "
                        "one-line name of at most 200 characters.")
    return name


def fit_referrals(table: Table) -> ReferralFit:
    """Rates, intervals and seasonality from dated referrals or monthly counts."""
    by_month: Counter[tuple[str, dt.date]] = Counter()
    counts: Counter[str] = Counter()
    notes: list[tuple[str, dict[str, Any]]] = []
    if table.layout == "referrals":
        dates = []
        for line, cells in table.rows:
            day = _parsed(table, line, cells, "date", parse_date, _NOT_A_DATE)
            name = _source(table, line, cells)
            dates.append(day)
            counts[name] += 1
            by_month[name, day.replace(day=1)] += 1
        first_month, last_month = min(dates).replace(day=1), max(dates).replace(day=1)
        months = []
        m = first_month
        while m <= last_month:
            months.append(m)
            m = _month_add(m, 1)
        first, last = first_month, _month_add(last_month, 1) - dt.timedelta(days=1)
        if min(dates) != first or max(dates) != last:
            notes.append(("fit.note.partial_months", {}))
    else:
        seen: dict[tuple[str, dt.date], int] = {}
        for line, cells in table.rows:
            month = _parsed(table, line, cells, "month", parse_month,
                            "is not a month; write it as 2024-03 or 3.2024.")
            name = _source(table, line, cells)
            n = _parsed(table, line, cells, "count", _count,
                        "is not a count; give a whole number of referrals ≥ 0.")
            if (name, month) in seen:
                raise DataError(f"{table.where(line, 'month')}: {name} in {month:%Y-%m} is "
                                f"already on row {seen[name, month]}; give each source and month "
                                "once.")
            seen[name, month] = line
            counts[name] += n
            by_month[name, month] += n
        months = sorted({m for _, m in seen})
        first, last = months[0], _month_add(months[-1], 1) - dt.timedelta(days=1)
        gaps = len(months) - ((months[-1].year - months[0].year) * 12
                              + months[-1].month - months[0].month + 1)
        if gaps:
            notes.append(("fit.note.gaps", {"n": -gaps}))
    days = float(sum(_month_days(m) for m in months))
    total = sum(counts.values())
    if total == 0:
        raise DataError(f"{table.path}: every count is 0; a rate needs referrals.")
    years = days / 365
    per_year = {k: counts[k] / years for k in sorted(counts)}
    ci = {k: poisson_ci(counts[k], years) for k in sorted(counts)}
    month_counts = [0.0] * 12
    month_exposure = [0.0] * 12
    for m in months:
        month_exposure[m.month - 1] += _month_days(m)
        month_counts[m.month - 1] += sum(by_month[k, m] for k in counts)
    multipliers, g, p, df = seasonality_test(month_counts, month_exposure)
    seasonal = p < SEASONALITY_ALPHA and all(e > 0 for e in month_exposure)
    if not all(e > 0 for e in month_exposure):
        notes.append(("fit.note.few_months", {"n": sum(e > 0 for e in month_exposure)}))
    if max(multipliers) > 12:
        seasonal = False
        notes.append(("fit.note.above_limit", {}))
    monthly = [(m, sum(by_month[k, m] for k in counts)) for m in months]
    return ReferralFit(table.path, total, len(table.rows), first, last, days,
                       {k: counts[k] for k in sorted(counts)}, per_year, ci, monthly, month_counts,
                       month_exposure, multipliers, g, p, df, seasonal, notes)


# --- durations --------------------------------------------------------------------------------

@dataclass
class Candidate:
    """One fitted distribution: scipy's frozen distribution, its log-likelihood and checks."""

    dist: str
    params: int
    loglik: float
    frozen: Any
    mean: float
    cv: float
    ks: float  # largest |fitted CDF − Kaplan–Meier|
    aic: float = 0.0
    usable: bool = True  # within the scenario's ranges (cv ≤ 10, mean ≤ 365,000 days)

    def as_dist(self) -> Dist:
        mean = _round(self.mean)
        if self.dist == "exponential":
            return Dist(dist="exponential", mean=mean)
        return Dist(dist=self.dist, mean=mean, cv=round(self.cv, 3))


def _round(x: float) -> float:
    return round(x, 1) if x >= 10 else float(f"{x:.3g}")


@dataclass
class DurationFit:
    """The candidates fitted to durations, best (lowest AIC among usable) first."""

    path: str
    field: str
    records: int
    events: int
    censored: int
    as_of: dt.date | None
    times: np.ndarray
    observed: np.ndarray  # True where the spell ended
    candidates: list[Candidate]
    notes: list[tuple[str, dict[str, Any]]]  # (text key, fields), shown in the report's language

    @property
    def best(self) -> Candidate:
        return self.candidates[0]

    def fragment(self, today: dt.date) -> dict[str, Any]:
        section, name = self.field.split(".", 1)
        cite = (f"fitted from {self.path}, {self.records:,} records "
                f"({self.censored:,} ongoing), {today.isoformat()}")
        return {section: {name: self.best.as_dist().to_dict()}, "sources": {self.field: cite}}

    def report(self, lang: str = "en") -> list[str]:
        """The fit as lines of text in *lang*: the candidates' table, then the choice."""
        n = number(self.censored, lang)
        ongoing = (t("fit.durations.ongoing_at", lang, n=n, date=self.as_of.isoformat())
                   if self.censored and self.as_of else
                   t("fit.durations.ongoing", lang, n=n) if self.censored else "")
        lines = [t("fit.durations.head", lang, path=self.path, records=number(self.records, lang),
                   events=number(self.events, lang)) + ongoing,
                 f"{t('fit.col.distribution', lang):<14}{t('fit.col.mean', lang):>15}"
                 f"{t('fit.col.cv', lang):>16}{'AIC':>12}{'ΔAIC':>8}{t('fit.col.ks', lang):>10}"]
        for c in self.candidates:
            flag = "" if c.usable else "  " + t("fit.outside", lang)
            lines.append(f"{c.dist:<14}{number(c.mean, lang, 1):>15}{number(c.cv, lang, 3):>16}"
                         f"{number(c.aic, lang, 1):>12}{number(c.aic - self.best.aic, lang, 1):>8}"
                         f"{number(c.ks, lang, 3):>10}{flag}")
        lines.append(t("fit.chosen", lang, dist=self.best.dist, field=self.field,
                       value=_flow(self.best.as_dist().to_dict())))
        lines.append(t("fit.ks", lang))
        return lines + [t(key, lang, **fields) for key, fields in self.notes]


def _flow(d: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"


def kaplan_meier(times: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Kaplan–Meier estimate of the CDF at each distinct event time: (times, F)."""
    order = np.argsort(times, kind="stable")
    t, d = times[order], observed[order]
    uniq, idx = np.unique(t, return_index=True)
    at_risk = len(t) - idx
    deaths = np.add.reduceat(d.astype(float), idx)
    keep = deaths > 0
    surv = np.cumprod(1 - deaths[keep] / at_risk[keep])
    return uniq[keep], 1 - surv


def _fit_one(kind: str, t: np.ndarray, d: np.ndarray) -> Candidate:
    from scipy import optimize, special, stats
    events = t[d]
    if kind == "exponential":
        mean = t.sum() / max(d.sum(), 1)
        frozen = stats.expon(scale=mean)
        params, x = 1, None
    else:
        logs = np.log(events if len(events) else t)
        m, s = float(logs.mean()), float(max(logs.std(), 0.1))
        if kind == "lognormal":
            x0 = [m, math.log(s)]

            def make(x):
                return stats.lognorm(s=math.exp(x[1]), scale=math.exp(x[0]))
        elif kind == "gamma":
            mean0, var0 = float(np.mean(events)), float(np.var(events)) or 1.0
            shape0 = max(mean0 ** 2 / var0, 0.05)
            x0 = [math.log(shape0), math.log(mean0 / shape0)]

            def make(x):
                return stats.gamma(a=math.exp(x[0]), scale=math.exp(x[1]))
        else:
            x0 = [math.log(1.2 / s), m + 0.3]

            def make(x):
                return stats.weibull_min(c=math.exp(x[0]), scale=math.exp(x[1]))

        def nll(x):
            if not all(-20 < v < 30 for v in x):
                return 1e300
            f = make(x)
            value = -(f.logpdf(events).sum() + f.logsf(t[~d]).sum())
            return value if math.isfinite(value) else 1e300

        res = optimize.minimize(nll, x0, method="Nelder-Mead",
                                options={"xatol": 1e-7, "fatol": 1e-7, "maxiter": 4000})
        x = res.x
        frozen = make(x)
        params = 2
    loglik = float(frozen.logpdf(events).sum() + frozen.logsf(t[~d]).sum())
    if kind == "exponential":
        mean, cv = float(frozen.mean()), 1.0
    elif kind == "lognormal":
        sigma = math.exp(x[1])
        mean, cv = math.exp(x[0] + sigma ** 2 / 2), math.sqrt(math.expm1(sigma ** 2))
    elif kind == "gamma":
        mean, cv = math.exp(x[0] + x[1]), math.exp(-x[0] / 2)
    else:
        k = math.exp(x[0])
        mean, cv = math.exp(x[1] + special.gammaln(1 + 1 / k)), weibull_cv(k)
    km_t, km_f = kaplan_meier(t, d)
    fitted = frozen.cdf(km_t)
    before = np.concatenate([[0.0], km_f[:-1]])  # the KM step's left limit
    ks = float(max(np.abs(fitted - km_f).max(), np.abs(fitted - before).max())) if len(km_t) else 1.0
    usable = 0 < cv <= 10 and 0 < mean <= 365_000 and math.isfinite(loglik)
    return Candidate(kind, params, loglik, frozen, mean, cv, ks, 2 * params - 2 * loglik, usable)


def fit_durations(table: Table | None = None, field_path: str = "stepwise.duration",
                  as_of: dt.date | None = None, *, times: Sequence[float] | None = None,
                  observed: Sequence[bool] | None = None, path: str = "data") -> DurationFit:
    """Fit the four candidates to durations from a table, or to ``times`` (days) with
    ``observed`` (False = censored) given directly."""
    notes: list[tuple[str, dict[str, Any]]] = []
    if table is not None:
        path = table.path
        t_list, d_list, latest = _durations(table, as_of)
        if as_of is None and latest is not None and not all(d_list):
            as_of = latest
            notes.append(("fit.note.as_of", {"date": latest.isoformat()}))
        t, d = np.asarray(t_list, dtype=float), np.asarray(d_list, dtype=bool)
    else:
        t = np.asarray(times, dtype=float)
        d = np.ones(len(t), bool) if observed is None else np.asarray(observed, dtype=bool)
    zero = t <= 0
    if zero.any():
        t = np.where(zero, 0.5, t)
        notes.append(("fit.note.zero_days", {"n": int(zero.sum())}))
    if d.sum() < 2:
        raise DataError(f"{path}: {int(d.sum())} of {len(t)} durations have ended; a fit needs at "
                        "least two ended ones.")
    candidates = [_fit_one(kind, t, d) for kind in CANDIDATES]
    candidates.sort(key=lambda c: (not c.usable, c.aic))
    if not candidates[0].usable:
        raise DataError(f"{path}: no candidate distribution fits within the scenario's ranges "
                        "(cv ≤ 10, mean ≤ 365,000 days); check the units (days) of the durations.")
    return DurationFit(path, field_path, len(t), int(d.sum()), int((~d).sum()), as_of, t, d,
                       candidates, notes)


def _durations(table: Table, as_of: dt.date | None
               ) -> tuple[list[float], list[bool], dt.date | None]:
    times: list[float] = []
    ended: list[bool] = []
    if table.layout == "days":
        for line, cells in table.rows:
            n = _parsed(table, line, cells, "days", parse_number, "is not a number of days; give "
                        "the duration in days, e.g. 45 or 45,5.")
            raw = table.cell(line, cells, "days")
            if n < 0:
                raise DataError(f"{table.where(line, 'days')}: {raw[:40]!r} is negative; a "
                                "duration is ≥ 0 days.")
            flag = table.cell(line, cells, "ongoing").lower() if "ongoing" in table.columns else ""
            if flag not in _YES and flag not in _NO:
                raise DataError(f"{table.where(line, 'ongoing')}: {flag[:40]!r} is neither yes nor "
                                "no; write yes (still ongoing) or no (ended).")
            times.append(n)
            ended.append(flag not in _YES)
        return times, ended, None  # no dates: the spells are censored where the file says
    spells: list[tuple[int, dt.date, dt.date | None]] = []
    latest = dt.date.min
    for line, cells in table.rows:
        start = _parsed(table, line, cells, "start", parse_date, _NOT_A_DATE)
        raw = table.cell(line, cells, "end")
        end = parse_date(raw) if raw else None
        if raw and end is None:
            raise DataError(f"{table.where(line, 'end')}: {raw[:40]!r} is not a date; write it "
                            "as 2024-03-31 or 31.3.2024, or leave it empty while ongoing.")
        if end is not None and end < start:
            raise DataError(f"{table.where(line, 'end')}: {end.isoformat()} is before the start "
                            f"{start.isoformat()}; correct the dates (an ongoing spell has an "
                            "empty end).")
        latest = max(latest, start, end or start)
        spells.append((line, start, end))
    cut = as_of or latest
    for line, start, end in spells:
        if start > cut:
            raise DataError(f"{table.where(line, 'start')}: {start.isoformat()} is after "
                            f"--as-of {cut.isoformat()}; give a later --as-of or leave the row out.")
        if end is not None and end > cut:
            end = None  # ended after the extraction date: still ongoing then
        times.append(float(((end or cut) - start).days))
        ended.append(end is not None)
    return times, ended, latest


# --- the command ------------------------------------------------------------------------------

def fit_file(path: str | Path, field_path: str = "stepwise.duration",
             as_of: dt.date | None = None) -> ReferralFit | DurationFit:
    """Read a CSV file and fit what it holds: referrals or durations."""
    return fit_table(read_table(path), field_path, as_of)


def fit_data(data: bytes | str, name: str = "data.csv", field_path: str = "stepwise.duration",
             as_of: dt.date | None = None) -> ReferralFit | DurationFit:
    """Fit CSV data in memory (an upload's bytes or text) as :func:`fit_file` fits a file;
    *name* is the file name the messages and the fitted fields' citations use."""
    return fit_table(read_data(data, name), field_path, as_of)


def fit_table(table: Table, field_path: str = "stepwise.duration",
              as_of: dt.date | None = None) -> ReferralFit | DurationFit:
    """Fit what a read table holds: referrals (dated or monthly) or durations."""
    if table.layout in ("referrals", "monthly"):
        return fit_referrals(table)
    return fit_durations(table, check_field(field_path), as_of)


def check_field(path: str) -> str:
    """``path`` if it names a duration field of a scenario (e.g. ``ips.job_tenure``)."""
    plain = preset("varsinais-suomi").to_dict()
    fields = sorted(f"{section}.{name}" for section, values in plain.items()
                    if isinstance(values, dict)
                    for name, value in values.items() if isinstance(value, dict) and "dist" in value)
    if path not in fields:
        raise ScenarioError(f"--field {path!r}: not a duration field; choose one of "
                            f"{', '.join(fields)}.")
    return path


def fragment_text(fit: ReferralFit | DurationFit, today: dt.date | None = None,
                  lang: str = "en") -> str:
    """The YAML fragment: the fitted fields and their citations, with the report as comments."""
    today = today or dt.date.today()
    data = fit.fragment(today)
    head = [f"# {t('fit.fragment.head', lang)}"] + [f"#   {line}" for line in fit.report(lang)]
    cited = {"sources": data.pop("sources")}
    body = (yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None,
                           width=100)
            + yaml.safe_dump(cited, sort_keys=False, allow_unicode=True, width=1000))
    return "\n".join(head) + "\n" + body
