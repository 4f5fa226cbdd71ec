"""The planners' command line: ``worksim`` (or ``python -m sim``).

    worksim presets
    worksim validate FILE
    worksim template --lang fi --out my-county.yaml
    worksim run PRESET_OR_FILE --replications 20 --seed 1 --out DIR
    worksim sweep PRESET_OR_FILE --vary ips.coaches=6:16 --target "ips_wait_days.p90<=30"
    worksim compare PRESET_OR_FILE --alt "plus2:ips.coaches+=2" --alt "cap15:ips.caseload_per_coach=15"
    worksim compare base.yaml county.yaml [more.yaml] -n 20    # saved scenarios side by side
    worksim warmup PRESET_OR_FILE --series ips_waiting
    worksim brief RUN_SWEEP_OR_COMPARE_FOLDER --lang fi
    worksim study study.yaml --out DIR [--resume]     # many scenarios × a grid, one table
    worksim template --population 250000 --referral-rate 1.5 --coaches 6   # a county from key numbers
    worksim fit referrals.csv --out arrivals.yaml --plot plots/

Bad input never shows a traceback: the message names the field, the value and the fix,
and the exit status is 2. Every argument is checked before anything is simulated or any
output folder is created; ``--overwrite`` never replaces an input file.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from . import __version__, experiment, journeys
from .learning.text import LANGUAGES, amount, number, percent, t
from .model import SAMPLE_EVERY_DAYS, SERIES, series_paths
from .results import KEY_KPIS
from .scenario import Scenario, ScenarioError, list_presets, preset, read_value, resolve

__all__ = ["main"]

SWEEP_MAX_VALUES = 200
"""A sweep takes at most this many values of one parameter ..."""
SWEEP_MAX_POINTS = 1_000
"""... and at most this many grid points in all."""
RESUME_HELP = ("finish the run stored in --out (results.sqlite): its replications are read "
               "back, only the missing ones run, and the tables are written again")
VALIDATE_MAX_CLIENTS = 50_000
"""``validate`` runs its offered-load check only for scenarios with at most this many clients
(referrals over the horizon plus the initial caseloads): a few seconds at most."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_RELATIVE_MAX = 1e12
"""Largest change ``--set FIELD+=N`` takes: above every field's range, below float overflow."""


def _short(text: str, limit: int = 60) -> str:
    """A piece of the command line as a message quotes it: on one line and at most ~limit long."""
    shown = repr(text)
    return shown if len(shown) <= limit else f"{shown[:limit - 5]}…{shown[-4:]}"


def _parse_set(items: Sequence[str], base: Scenario, where: Callable[[str], str] | None = None,
               form: str = "FIELD=VALUE, e.g. ips.coaches=8") -> dict[str, Any]:
    """``key=value`` (YAML value) or ``key+=number`` relative to the base scenario.

    ``where(item)`` names the option in messages (``--set 'item'`` by default).
    """
    where = where or (lambda item: f"--set {_short(item)}")
    changes: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        relative = key.endswith(("+", "-"))
        if relative:
            sign = 1 if key.endswith("+") else -1
            key = key[:-1].strip()
        if not sep or not key:
            raise ValueError(f"{where(item)}: write it as {form}.")
        try:
            value = read_value(raw)  # the scenario loader's reader, with its limits
        except yaml.YAMLError as exc:
            problem = " ".join(str(getattr(exc, "problem", None) or "not valid YAML").split())
            raise ValueError(f"{where(item)}: cannot read the value {_short(raw)} "
                             f"({problem}); give a number, true/false, null, quoted text or a "
                             "list such as [1, 2].") from None
        if relative:
            current = base.get(key)
            if not _is_number(value):
                raise ValueError(f"{where(item)}: += and -= need a number after '=', got "
                                 f"{_short(raw.strip())}.")
            if abs(value) > _RELATIVE_MAX:
                raise ValueError(f"{where(item)}: {_short(raw.strip())} is far outside the range "
                                 f"of {key}; give a change of at most {_RELATIVE_MAX:,.0f}.")
            if current is None:
                raise ValueError(f"{where(item)}: {key} is not set (null) in the base scenario, "
                                 f"so there is nothing to add to; give the value itself, e.g. "
                                 f"{key}={abs(value):g}.")
            if not _is_number(current):
                hint = (f", e.g. {key}.mean{'+' if sign > 0 else '-'}={abs(value):g}"
                        if isinstance(current, dict) and "mean" in current else "")
                raise ValueError(f"{where(item)}: {key} is {current!r}, not a number; += and -= "
                                 f"change numbers only{hint}.")
            value = current + sign * value
        changes[key] = value
    return changes


def _load(text: str, where: str = "") -> Scenario:
    """``resolve`` with a clear error for a folder or an unreadable file."""
    try:
        return resolve(text)
    except IsADirectoryError:
        raise ScenarioError(f"{where}{text}: is a folder, not a scenario file; give a YAML file "
                            f"or a preset ({', '.join(list_presets())}).") from None
    except OSError as exc:
        raise ScenarioError(f"{where}{text}: cannot read it ({exc.strerror}).") from None


def _input_file(text: str) -> list[Path]:
    """The scenario argument as an input file (none for a preset name)."""
    return [] if text in list_presets() else [Path(text)]


def _scenario(args: argparse.Namespace) -> Scenario:
    base = _load(args.scenario)
    changes = _parse_set(getattr(args, "set", None) or [], base)
    if getattr(args, "horizon_days", None) is not None:
        changes["horizon_days"] = args.horizon_days
    return base.with_changes(changes) if changes else base


def _check_common(args: argparse.Namespace) -> None:
    """--replications, --seed and --jobs, before anything runs."""
    if args.replications < 1:
        raise ValueError(f"--replications {args.replications}: give a whole number ≥ 1.")
    if args.replications > experiment.MAX_REPLICATIONS:
        raise ValueError(f"--replications {args.replications}: at most "
                         f"{experiment.MAX_REPLICATIONS:,}; each run's result is kept in memory "
                         "and a CI from that many is already within 2 % of the run-to-run spread. "
                         "Give fewer replications.")
    if args.seed < 0:
        raise ValueError(f"--seed {args.seed}: give a whole number ≥ 0.")
    if args.jobs < 0:
        raise ValueError(f"--jobs {args.jobs}: give a whole number ≥ 1, or 0 for all cores.")
    if args.jobs > experiment.MAX_JOBS:
        raise ValueError(f"--jobs {args.jobs:,}: at most {experiment.MAX_JOBS} worker processes; "
                         "give the number of cores, or 0 for all of them.")
    dask = (f"--scheduler {args.scheduler}" if args.scheduler is not None
            else f"--workers {args.workers}" if args.workers is not None else None)
    if dask is not None and args.jobs > 1:
        raise ValueError(f"--jobs {args.jobs} and {dask}: give one of them; on Dask the "
                         "cluster's workers run the replications (--workers N starts N).")
    if args.workers is not None and not 1 <= args.workers <= experiment.MAX_JOBS:
        raise ValueError(f"--workers {args.workers:,}: give a whole number from 1 to "
                         f"{experiment.MAX_JOBS} (local Dask worker processes, one thread each).")
    if args.scheduler is not None:
        from .cluster import check_address
        check_address(args.scheduler)


def _dask(args: argparse.Namespace) -> Any:
    """The Dask client for --scheduler or --workers (None without them: the local process
    pool), connected after every argument is checked and closed when the command ends."""
    if args.scheduler is None and args.workers is None:
        return None
    from .cluster import dask_client
    return args.cleanup.enter_context(dask_client(args.scheduler, args.workers))


def _warn_unstable(s: Scenario, lang: str = "en") -> None:
    """Stability warnings, printed at once on standard error (before a possibly long run)."""
    from .report import warning_texts
    _print_warnings(warning_texts(experiment.stability_checks(s), lang), lang, file=sys.stderr)


def _print_warnings(messages: Sequence[str], lang: str, name: str = "", file: Any = None) -> None:
    """Warnings in *lang* (standard output unless *file*), each named by its scenario if *name*
    is given."""
    for message in messages:
        print(f"{t('warning.prefix', lang)}: {name + ': ' if name else ''}{message}",
              file=file or sys.stdout, flush=True)


def _progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


def _out_with_store(args: argparse.Namespace, name: str, writes: Sequence[str],
                    inputs: Sequence[Path], subject: str, label: str, about: Any = None
                    ) -> tuple[Path, Any]:
    """The --out folder and its result store (sim/store.py), where every finished replication
    is written as it completes. A folder holding only a store (an interrupted run) is resumed
    as --resume does; a store of another question or model version is refused."""
    from . import report, store
    if args.resume and args.out is None:
        raise ValueError("--resume: give --out FOLDER, the folder of the run to resume.")
    writes = (*writes, *store.STORE_FILES)
    folder = report.check_out_dir(args.out, name, overwrite=True, writes=writes, inputs=inputs)
    found = (folder / store.STORE_NAME).is_file()
    if args.resume and not found:
        raise ValueError(f"--resume: {folder} has no result store ({store.STORE_NAME}) to resume; "
                         "leave --resume out to start there.")
    only_store = found and all(p.name in store.STORE_FILES for p in folder.iterdir())
    try:
        out = report.prepare_out_dir(folder, name, writes=writes,
                                     overwrite=args.overwrite or args.resume or only_store,
                                     inputs=inputs)
    except FileExistsError as exc:
        if not found:
            raise
        raise FileExistsError(f"{exc} Add --resume to finish the run stored there (its "
                              "replications are read back, the tables written again).") from None
    try:
        opened = store.open_store(out, subject, label, about)
    except store.StoreError as exc:
        if not args.overwrite or args.resume:
            raise store.StoreError(f"{str(exc).rstrip('.')}; or add --overwrite to replace it with "
                                   "this run's.") from None
        for file in store.STORE_FILES:  # --overwrite: this run's store replaces it
            (out / file).unlink(missing_ok=True)
        print(f"note: replaced {out / store.STORE_NAME}: {str(exc).split(': ', 1)[1]}",
              file=sys.stderr, flush=True)
        found = False
        opened = store.open_store(out, subject, label, about)
    args.cleanup.enter_context(opened)
    if found and opened.count():
        print(f"Resuming: {opened.count():,} replications already stored in "
              f"{out / store.STORE_NAME}.", file=sys.stderr, flush=True)
    return out, opened


def _scenario_store(args: argparse.Namespace, s: Scenario, name: str, writes: Sequence[str]
                    ) -> tuple[Path, Any]:
    """:func:`_out_with_store` for a command about one (base) scenario."""
    from .store import scenario_hash
    digest = scenario_hash(s)
    return _out_with_store(args, name, writes, _input_file(args.scenario), digest,
                           f"scenario {s.name}, content hash {digest[:12]}", s.to_dict())


def cmd_presets(args: argparse.Namespace) -> int:
    for name in list_presets():
        s = preset(name)
        print(f"{name:22s} {s.arrivals.per_year:9,.0f} referrals/yr  "
              f"{s.assessment.coordinators:g} coordinators  {s.ips.coaches:g} coaches")
        if args.verbose and s.description:
            print(f"{'':22s} {s.description}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from .template import scenario_template, scenario_yaml, write_template
    keys = {"--population": args.population, "--referral-rate": args.referral_rate,
            "--coaches": args.coaches}
    if any(v is not None for v in (*keys.values(), args.coordinators, args.name)):
        missing = [k for k, v in keys.items() if v is None]
        if missing:
            raise ValueError(f"{', '.join(missing)}: a county from key numbers needs --population, "
                             "--referral-rate (referrals a year per 1,000 residents) and --coaches"
                             " (and optionally --coordinators and --name).")
        from .county import county_scenario
        built = county_scenario(args.name or "county", args.population, args.referral_rate,
                                args.coaches, args.coordinators, args.preset, where="--")
        text = scenario_yaml(built, args.lang, based_on=args.preset)
        if args.out is None:
            print(text, end="")
            return 0
        path = Path(args.out)
        if path.exists() and not args.overwrite:
            raise FileExistsError(f"{path} exists; choose another name or pass --overwrite.")
        path.write_text(text, encoding="utf-8")
        print(f"Wrote {path}")
        return 0
    if args.out is None:
        print(scenario_template(args.preset, args.lang), end="")
    else:
        print(f"Wrote {write_template(args.out, args.preset, args.lang, overwrite=args.overwrite)}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    s = _load(args.scenario)
    lang = args.lang
    print(t("cli.validate.ok", lang, name=s.name, referrals=number(s.arrivals.per_year, lang),
            days=amount(s.horizon_days, lang), coordinators=amount(s.assessment.coordinators, lang),
            coaches=amount(s.ips.coaches, lang), caseload=s.ips.caseload_per_coach))
    from .report import warning_texts
    _print_warnings(warning_texts(experiment.stability_checks(s), lang), lang)
    clients = s.arrivals.per_year * s.horizon_days / 365 + s.initial.total
    if clients <= VALIDATE_MAX_CLIENTS:  # a few seconds at most
        floor = experiment.offered_load(s, replications=1)
        lines = [t("cli.validate.floor", lang, setting=param, value=amount(value, lang),
                   floor=number(floor[param], lang, 1))
                 for param, value in (("ips.coaches", s.ips.coaches),
                                      ("assessment.coordinators", s.assessment.coordinators))
                 if value <= floor[param]]
        _print_warnings(lines, lang)
    return 0


def _check_precision(args: argparse.Namespace) -> float | None:
    """--precision (5% or 0.05) and --max-replications; --precision excludes --replications."""
    if args.precision is None:
        if args.max_replications is not None:
            raise ValueError("--max-replications caps --precision; give --precision too (e.g. "
                             "--precision 5%), or use --replications for a fixed number.")
        if args.replications is None:
            args.replications = RUN_REPLICATIONS
        return None
    if args.replications is not None:
        raise ValueError(f"--precision {args.precision} and --replications {args.replications}: "
                         "give one of them; --precision chooses the number of replications "
                         "itself (cap it with --max-replications).")
    try:
        precision = experiment.parse_precision(args.precision)
    except ValueError as exc:
        raise ValueError(f"--{exc}") from None
    cap = experiment.PRECISION_CAP if args.max_replications is None else args.max_replications
    if not 2 <= cap <= experiment.MAX_REPLICATIONS:
        raise ValueError(f"--max-replications {cap}: give a whole number from 2 to "
                         f"{experiment.MAX_REPLICATIONS:,}.")
    args.replications, args.max_replications = min(experiment.PRECISION_BATCH, cap), cap
    return precision


RUN_REPLICATIONS = 20
"""``worksim run``'s replications without --replications or --precision."""


def cmd_run(args: argparse.Namespace) -> int:
    precision = _check_precision(args)
    _check_common(args)
    s = _scenario(args)
    from . import report  # matplotlib loads here, after the input is checked (not for validate)
    client = _dask(args)
    out, store = _scenario_store(args, s, s.name, report.RUN_FILES)
    _warn_unstable(s, args.lang)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", experiment.UnstableScenarioWarning)  # printed above
        if precision is None:
            reps = experiment.replicate(s, args.replications, args.seed, jobs=args.jobs,
                                        progress=_progress(args), client=client, store=store)
        else:
            reps = experiment.replicate_to_precision(
                s, precision, args.seed, max_replications=args.max_replications, jobs=args.jobs,
                progress=_progress(args), client=client, store=store)
    wall = time.perf_counter() - started
    report.write_run(reps, out, command=" ".join(["worksim", *sys.argv[1:]]),
                     wall_seconds=wall, lang=args.lang)
    print(f"{s.name}: {reps.n} replications, seed {args.seed}, horizon {s.horizon_days:g} days "
          f"({wall:.1f} s)")
    if reps.stopping is not None:
        print(f"precision: {reps.stopping.describe()}")
    rows = reps.summary()
    print(report.format_table(rows, None if args.all else KEY_KPIS,
                              {r.metric: report.missing_reason(reps, r.metric, args.lang)
                               for r in rows}))
    _print_warnings(report.warning_texts(experiment.result_checks(reps), args.lang), args.lang)
    for line in bottlenecks(reps, args.lang):
        print(f"{t('cli.note.prefix', args.lang)}: {line}")
    print(f"\nWrote summary.csv, replications.csv, summary.xlsx, run.json, report.md and "
          f"PNG plots to {out}/")
    return 0


def bottlenecks(reps: experiment.Replications, lang: str = "en") -> list[str]:
    """Plain-language pointers for a planner reading the table (no judgement beyond the CI)."""
    notes = []
    util = reps.ci("coach_caseload_utilisation").mean
    p90 = reps.ci("ips_wait_days.p90")
    if util > 0.95 and p90.low > 30:
        notes.append(t("cli.note.coaches", lang, share=percent(util, lang),
                       days=number(p90.mean, lang), name=reps.scenario.name))
    coord = reps.ci("coordinator_utilisation").mean
    if coord > 0.9:
        notes.append(t("cli.note.coordinators", lang, share=percent(coord, lang)))
    return notes


def _parse_vary(items: Sequence[str], s: Scenario) -> dict[str, list]:
    vary: dict[str, list] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--vary {item!r}: write it as FIELD=START:STOP[:STEP] or "
                             "FIELD=v1,v2,…, e.g. ips.coaches=6:16.")
        s.get(key)  # names an unknown field clearly
        if key in vary:
            raise ValueError(f"--vary {key} is given twice; give each parameter once, with all "
                             "its values, e.g. --vary ips.coaches=4,6,8.")
        try:
            vary[key] = experiment.parse_range(values, limit=SWEEP_MAX_VALUES)
        except ValueError as exc:
            raise ValueError(f"--vary {key}: {exc}") from None
    if len(vary) > 2:
        raise ValueError(f"--vary: {len(vary)} parameters ({', '.join(vary)}); a sweep varies one "
                         "or two.")
    points = math.prod(len(v) for v in vary.values())
    if points > SWEEP_MAX_POINTS:
        raise ValueError(f"--vary: {' × '.join(str(len(v)) for v in vary.values())} = {points:,} "
                         f"grid points; a sweep runs at most {SWEEP_MAX_POINTS:,}; use fewer "
                         "values (a larger STEP).")
    return vary


def _check_runs(groups: int, what: str, replications: int, fix: str) -> None:
    """At most ``experiment.MAX_RUNS`` simulation runs in one command, checked up front."""
    runs = groups * replications
    if runs > experiment.MAX_RUNS:
        raise ValueError(f"--replications {replications}: {what} × {replications:,} replications "
                         f"= {runs:,} runs; at most {experiment.MAX_RUNS:,} in one command; {fix}.")


def _parse_target(text: str | None) -> experiment.Target | None:
    if text is None:
        return None
    try:
        return experiment.parse_target(text)
    except ValueError as exc:
        raise ValueError(f"--{exc}") from None  # "target '…': …" -> "--target '…': …"


def cmd_sweep(args: argparse.Namespace) -> int:
    _check_common(args)
    s = _scenario(args)
    from . import report
    vary = _parse_vary(args.vary, s)
    points = math.prod(len(v) for v in vary.values())
    _check_runs(points, f"{points:,} grid points", args.replications,
                "give fewer replications or fewer --vary values (a larger STEP)")
    target = _parse_target(args.target)
    staffing = target is not None and len(vary) == 1 and next(iter(vary)) in experiment.STAFF_PARAMETERS
    precision, cap = _check_sweep_precision(args, staffing)
    for combo in itertools.product(*vary.values()):  # every grid point is valid
        point = dict(zip(vary, combo))
        try:
            s.with_changes(point)
        except ScenarioError as exc:
            shown = ", ".join(f"{k}={v:g}" for k, v in point.items())
            raise ScenarioError(f"--vary: the grid point {shown} is not valid: {exc}") from None
    client = _dask(args)
    out, store = _scenario_store(args, s, f"{s.name}-sweep", report.SWEEP_FILES)
    if staffing:
        param = next(iter(vary))
        result = experiment.min_staffing(s, param, vary[param], target, args.replications,
                                         args.seed, jobs=args.jobs, progress=_progress(args),
                                         max_replications=cap, precision=precision,
                                         client=client, store=store)
    else:
        result = experiment.sweep(s, vary, args.replications, args.seed, target=target,
                                  jobs=args.jobs, progress=_progress(args), client=client,
                                  store=store)
    kpis = [target.kpi] if target else []
    kpis += [k for k in ("ips_wait_days.p90", "ips_wait_days.mean", "coach_caseload_utilisation",
                         "assessment_wait_days.p90", "employed_within_365d_share") if k not in kpis]
    report.write_sweep(result, out, kpis, lang=args.lang,
                       command=" ".join(["worksim", *sys.argv[1:]]))
    rows = result.table(kpis[:3])
    header = list(rows[0])
    print("  ".join(f"{h:>24s}" for h in header))
    for row in rows:
        print("  ".join(f"{v:>24.3f}" if isinstance(v, float) else f"{v!s:>24s}"
                        for v in row.values()))
    for param, floor in result.offered_load.items():
        if param in vary:
            print(f"\nOffered-load floor: {param} > {floor:.2f} (below it waits grow without "
                  "bound; those values were not simulated).")
    if target is not None:
        best = result.best()
        if best is None:
            print(f"\nNo value in the sweep meets {target} with 95 % confidence; widen the range.")
        else:
            print(f"\nFewest that meet {target} (95 % CI bound): "
                  + ", ".join(f"{k} = {v:g}" for k, v in best.items()))
            if result.offered_load:  # the staffing search: say how sure the answer is
                from .planner import certainty_text
                print(certainty_text(result, args.lang))
    from .planner import answer_point
    shown = answer_point(result)  # the answer (or the largest value tried): its warnings
    _print_warnings(report.warning_texts(shown.checks(), args.lang), args.lang, ", ".join(
        f"{p}={shown.scenario.get(p):g}" for p in result.parameters))
    counts = sorted({reps.n for reps in result.results})
    if len(counts) > 1:
        print(f"\nReplications per value: {counts[0]}–{counts[-1]} (values whose 95 % CI straddled "
              "the target got more).")
    print(f"\nWrote sweep.csv, sweep.xlsx{' and capacity.png' if len(vary) == 1 else ''} to {out}/")
    return 0


def _check_sweep_precision(args: argparse.Namespace, staffing: bool) -> tuple[float, int]:
    """--precision and --max-replications of ``sweep``: the staffing search's refinement of the
    values whose CI straddles the target (min_staffing's precision and max_replications)."""
    given = [f"--{k.replace('_', '-')}" for k in ("precision", "max_replications")
             if getattr(args, k) is not None]
    if given and not staffing:
        raise ValueError(f"{' and '.join(given)}: only for a staffing search (one --vary of "
                         f"{', '.join(experiment.STAFF_PARAMETERS)} with --target), whose values "
                         "near the target get more replications; leave it out here.")
    precision = 0.05
    if args.precision is not None:
        try:
            precision = experiment.parse_precision(args.precision)
        except ValueError as exc:
            raise ValueError(f"--{exc}") from None
    cap = (experiment.refinement_cap(args.replications) if args.max_replications is None
           else args.max_replications)
    if not max(2, args.replications) <= cap <= experiment.MAX_REPLICATIONS:
        raise ValueError(f"--max-replications {cap}: give a whole number from "
                         f"{max(2, args.replications)} (--replications) to "
                         f"{experiment.MAX_REPLICATIONS:,}.")
    return precision, cap


def _other_scenarios(args: argparse.Namespace, base: Scenario) -> dict[str, Scenario]:
    """The scenario files or presets after the first, each with the same --set and
    --horizon-days as the base, named by their ``name`` (made unique)."""
    out: dict[str, Scenario] = {}
    for text in args.others:
        s = _load(text)
        changes = _parse_set(args.set or [], s)
        if args.horizon_days is not None:
            changes["horizon_days"] = args.horizon_days
        s = s.with_changes(changes) if changes else s
        name, n = s.name, 2
        while name in out or name == base.name:
            name, n = f"{s.name}-{n}", n + 1
        out[name] = s
    return out


def _parse_alts(specs: Sequence[str], base: Scenario) -> dict[str, Scenario]:
    form = ("NAME:FIELD=VALUE[,FIELD=VALUE] or NAME:path/to/scenario.yaml, "
            "e.g. plus2:ips.coaches+=2")
    alts: dict[str, Scenario] = {}
    for spec in specs:
        name, sep, body = spec.partition(":")
        where = f"--alt {spec!r}"
        if not sep:
            raise ValueError(f"{where}: write {form}.")
        if not name.strip():
            raise ValueError(f"{where}: the name before ':' is empty; write {form}.")
        if name in alts:
            raise ValueError(f"{where}: the name {name!r} is used twice; give each --alt its own "
                             "name.")
        if not body.strip():
            raise ValueError(f"{where}: nothing after '{name}:'; write {form}.")
        try:
            if body.endswith((".yaml", ".yml")) or ("=" not in body and Path(body).exists()):
                alts[name] = _load(body)
            else:
                alts[name] = base.with_changes(
                    _parse_set(body.split(","), base, lambda _, w=where: w, form))
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
    return alts


def _check_kpis(kpis: Sequence[str]) -> None:
    for kpi in kpis:
        try:
            experiment.check_kpi(kpi)
        except ValueError as exc:
            raise ValueError(f"--kpi {kpi!r}: {exc}") from None


def cmd_compare(args: argparse.Namespace) -> int:
    _check_common(args)
    base = _scenario(args)
    alts = _other_scenarios(args, base)
    for name, alt in _parse_alts(args.alt or [], base).items():
        if name in alts:
            raise ValueError(f"--alt {name}:…: the name {name!r} is already a scenario given "
                             "after the base; choose another name.")
        alts[name] = alt
    if not alts:
        raise ValueError("compare: nothing to compare with the base; give more scenario files or "
                         "presets after it (worksim compare base.yaml county.yaml) or --alt "
                         "NAME:CHANGES (e.g. --alt plus2:ips.coaches+=2).")
    _check_runs(1 + len(alts), f"{1 + len(alts)} scenarios (the base and each alternative)",
                args.replications, "give fewer replications or fewer alternatives")
    kpis = args.kpi or ["ips_wait_days.mean", "ips_wait_days.p90", "employed_within_365d_share",
                        "coach_caseload_utilisation"]
    _check_kpis(kpis)
    client = _dask(args)
    out = store = None
    if args.out is not None or args.resume:  # only with --out: the command wrote no folder before
        from . import report
        from .store import scenario_hash
        digest = scenario_hash(base)
        out, store = _out_with_store(args, f"{base.name}-compare", report.COMPARE_FILES,
                                     [p for text in (args.scenario, *args.others)
                                      for p in _input_file(text)], digest,
                                     f"base scenario {base.name}, content hash {digest[:12]}",
                                     base.to_dict())
    started = time.perf_counter()
    cmp = experiment.compare(base, alts, args.replications, args.seed, jobs=args.jobs,
                             progress=_progress(args), client=client, store=store)
    print(f"Paired differences (alternative − {base.name}), {args.replications} replications "
          "with common random numbers:")
    print(f"{'scenario':14s} {'metric':34s} {'base':>10s} {'alt':>10s} {'diff':>10s} "
          f"{'95% CI of diff':>24s}")
    for r in cmp.rows(kpis):
        print(f"{r['scenario']:14s} {r['metric']:34s} {r['base_mean']:10.3f} {r['alt_mean']:10.3f}"
              f" {r['difference']:10.3f} [{r['ci95_low']:10.3f}, {r['ci95_high']:10.3f}]")
    from .report import warning_texts
    for name, reps in ((base.name, cmp.base), *cmp.alternatives.items()):
        _print_warnings(warning_texts(reps.checks(), args.lang), args.lang, name)
    if out is not None:
        report.write_compare(cmp, out, command=" ".join(["worksim", *sys.argv[1:]]),
                             wall_seconds=time.perf_counter() - started)
        print(f"\nWrote comparison.csv and compare.json to {out}/")
    return 0


def cmd_warmup(args: argparse.Namespace) -> int:
    _check_common(args)
    s = _scenario(args)
    from . import plots, report
    series = tuple(series_paths(journeys.STAGES.values()))  # stages registered in code too
    if args.series not in series:
        raise ValueError(f"--series {args.series!r}: unknown series; choose one of "
                         f"{', '.join(series)}.")
    samples = math.ceil(s.horizon_days / SAMPLE_EVERY_DAYS)  # weekly samples from day 0
    if samples < 2:
        raise ValueError(f"--window {args.window}: a {s.horizon_days:g}-day run has {samples} "
                         "weekly sample, too few for a Welch plot; lengthen it with --horizon-days.")
    if not 1 <= args.window < samples:
        raise ValueError(f"--window {args.window}: give a whole number of weeks from 1 to "
                         f"{samples - 1} (the {s.horizon_days:g}-day run has {samples} weekly "
                         "samples).")
    client = _dask(args)
    out = None
    if args.out is not None:
        out = report.prepare_out_dir(args.out, f"{s.name}-warmup", overwrite=args.overwrite,
                                     writes=("warmup.png",), inputs=_input_file(args.scenario))
    _warn_unstable(s, args.lang)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", experiment.UnstableScenarioWarning)  # printed above
        analysis = experiment.warmup_analysis(s, args.series, args.replications, args.seed,
                                              args.window, jobs=args.jobs, client=client)
    print(f"{s.name}: MSER-5 suggests a warm-up of about {analysis['suggested_warmup_days']:.0f} "
          f"days for '{args.series}' (Welch window {args.window} weeks).")
    if out is not None:
        plots.warmup_figure(analysis).savefig(out / "warmup.png", dpi=110)
        print(f"Wrote {out / 'warmup.png'}")
    return 0


def cmd_fit(args: argparse.Namespace) -> int:
    """Referral rates and seasonality, or a duration distribution, fitted from a CSV file."""
    from . import fit  # scipy loads here, after the arguments are checked
    data = Path(args.data)
    as_of = None
    if args.as_of is not None:
        as_of = fit.parse_date(args.as_of)
        if as_of is None:
            raise ValueError(f"--as-of {_short(args.as_of)}: not a date; write it as 2024-12-31 "
                             "or 31.12.2024.")
    fit.check_field(args.field)
    out = Path(args.out) if args.out else None
    if out is not None:
        if out.exists() and data.exists() and out.resolve() == data.resolve():
            raise ValueError(f"--out {out}: is the data file itself; give another file name.")
        if out.is_dir():
            raise ValueError(f"--out {out}: is a folder; give a file name such as fitted.yaml.")
        if out.exists() and not args.overwrite:
            raise FileExistsError(f"--out {out}: already exists; give --overwrite to replace it "
                                  "or choose another name.")
    plot_dir = Path(args.plot) if args.plot else None
    names = ("fit-referrals.png", "fit-durations.png")
    if plot_dir is not None:
        if plot_dir.exists() and not plot_dir.is_dir():
            raise ValueError(f"--plot {plot_dir}: is a file; give a folder for the PNG plots.")
        taken = [n for n in names if (plot_dir / n).exists()]
        if taken and not args.overwrite:
            raise FileExistsError(f"--plot {plot_dir}: {taken[0]} already exists; give "
                                  "--overwrite to replace it or choose another folder.")
    result = fit.fit_file(data, args.field, as_of)
    text = fit.fragment_text(result, lang=args.lang)
    if out is None:
        print(text, end="")
    else:
        print("\n".join(result.report(args.lang)))
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w" if args.overwrite else "x", encoding="utf-8") as fh:
            fh.write(text)
        print(f"Wrote {out}")
    if plot_dir is not None:
        from . import plots
        plot_dir.mkdir(parents=True, exist_ok=True)
        if isinstance(result, fit.ReferralFit):
            fig, png = plots.referral_fit_figure(result, args.lang), plot_dir / names[0]
        else:
            fig, png = plots.duration_fit_figure(result, args.lang), plot_dir / names[1]
        fig.savefig(png, dpi=110, metadata={"Description": fig.get_label()})
        print(f"Wrote {png}", file=sys.stderr if out is None else sys.stdout)
    return 0


def cmd_study(args: argparse.Namespace) -> int:
    """Many scenarios × a grid into one store and one table (sim/study.py)."""
    from . import study as studies
    st = studies.load_study(args.study)  # every scenario and grid point validated here
    args.replications, args.seed = st.replications, st.seed
    _check_common(args)
    client = _dask(args)
    digest, label, about = st.subject()
    out, store = _out_with_store(args, f"{st.name}-study", studies.STUDY_FILES,
                                 [Path(args.study)], digest, label, about)
    runs = len(st.points()) * st.replications
    print(f"{st.name}: {len(st.scenarios)} scenarios × {len(st.points()) // len(st.scenarios)} grid "
          f"points × {st.replications} replications = {runs:,} runs, seed {st.seed}.", flush=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", experiment.UnstableScenarioWarning)
        result = studies.run_study(st, jobs=args.jobs, client=client, store=store,
                                   progress=_progress(args))
    paths = studies.write_study(result, out, args.lang,
                                command=" ".join(["worksim", *sys.argv[1:]]))
    if st.target is not None:
        table = result.table()
        for label, _ in st.scenarios:
            met = [p for (name, p, _), row in zip(result.points, table)
                   if name == label and row["meets_target"]]
            shown = ", ".join(f"{k} = {v:g}" for k, v in met[0].items()) if met else "none"
            print(f"{label}: fewest that meet {st.target} (95 % CI bound): {shown or 'as given'}")
    print(f"Wrote {', '.join(paths)} to {out}/")
    return 0


def cmd_brief(args: argparse.Namespace) -> int:
    from . import brief  # matplotlib and fpdf2 load here, after the input is checked
    loaded = brief.load_results(args.folder)  # refuses anything but a run/sweep/compare folder
    paths = brief.write_brief(loaded, args.lang, args.folder if args.out is None else args.out,
                              question=args.question, overwrite=args.overwrite)
    print(f"Wrote {' and '.join(str(p) for p in paths.values())}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="worksim", description="Pathway capacity simulation for "
                                "work-ability coordinators and IPS job coaches.")
    p.add_argument("--version", action="version", version=f"worksim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    sp = sub.add_parser("presets", help="list the shipped scenarios")
    sp.add_argument("-v", "--verbose", action="store_true")
    sp.set_defaults(func=cmd_presets)

    sp = sub.add_parser("template", help="a commented scenario file to fill in with a county's numbers")
    sp.add_argument("--preset", choices=list_presets(), default="varsinais-suomi",
                    help="the preset whose numbers (and cited sources) the template starts from")
    sp.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the comments")
    sp.add_argument("--out", help="write the template to this file (default: print it)")
    sp.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    county = sp.add_argument_group("a county from key numbers (sim/county.py: the rest from "
                                   "--preset, services scaled by the referral volume)")
    county.add_argument("--population", type=int, help="residents")
    county.add_argument("--referral-rate", type=float, metavar="R",
                        help="referrals a year per 1,000 residents")
    county.add_argument("--coaches", type=float, help="IPS job coaches (full-time posts)")
    county.add_argument("--coordinators", type=float,
                        help="work-ability coordinators (default: scaled from --preset)")
    county.add_argument("--name", help="the county's name")
    sp.set_defaults(func=cmd_template)

    sp = sub.add_parser("validate", help="check a scenario file")
    sp.add_argument("scenario", help="a preset name or a YAML file")
    sp.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the check's lines")
    sp.set_defaults(func=cmd_validate)

    def common(sp: argparse.ArgumentParser, reps: int) -> None:
        sp.add_argument("scenario", help="a preset name or a YAML file")
        sp.add_argument("--replications", "-n", type=int, default=reps)
        sp.add_argument("--seed", type=int, default=1)
        sp.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (0 = all cores)")
        dask = sp.add_mutually_exclusive_group()
        dask.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                          help="run the replications on this running Dask cluster (needs the "
                          "dask extra); --jobs is then not used")
        dask.add_argument("--workers", type=int, metavar="N",
                          help="run the replications on a local Dask cluster of N worker "
                          "processes (needs the dask extra); --jobs is then not used")
        sp.add_argument("--set", action="append", metavar="FIELD=VALUE",
                        help="change a field, e.g. --set ips.coaches=9 (repeatable)")
        sp.add_argument("--horizon-days", type=float)
        sp.add_argument("--quiet", "-q", action="store_true")
        sp.add_argument("--lang", choices=LANGUAGES, default="en")

    sp = sub.add_parser("run", help="replications of one scenario")
    common(sp, RUN_REPLICATIONS)
    sp.set_defaults(replications=None)  # None: not given (--precision excludes it)
    sp.add_argument("--precision", metavar="P",
                    help="replicate until every key KPI's 95%% CI half-width is within P of its "
                    "mean (e.g. 5%% or 0.05; floors 0.5 days, 1 pp, 1 client near 0); instead of "
                    "--replications")
    sp.add_argument("--max-replications", type=int, metavar="N",
                    help=f"cap for --precision (default {experiment.PRECISION_CAP})")
    sp.add_argument("--out", help="output folder (default results/NAME-TIMESTAMP)")
    sp.add_argument("--overwrite", action="store_true", help="replace files in --out")
    sp.add_argument("--resume", action="store_true", help=RESUME_HELP)
    sp.add_argument("--all", action="store_true", help="print every KPI")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("sweep", help="vary one or two parameters; find the fewest staff")
    common(sp, 10)
    sp.add_argument("--vary", action="append", required=True, metavar="FIELD=RANGE",
                    help="FIELD=START:STOP[:STEP] or FIELD=v1,v2,… (once or twice, for two "
                    f"parameters); at most {SWEEP_MAX_VALUES} values per parameter and "
                    f"{SWEEP_MAX_POINTS:,} grid points in all")
    sp.add_argument("--target", help='e.g. "ips_wait_days.p90<=30"')
    sp.add_argument("--precision", metavar="P",
                    help="staffing search: a value whose 95%% CI straddles the target gets more "
                    "replications until the CI's half-width is within P of the target (e.g. 5%% "
                    "or 0.05; default 5%%)")
    sp.add_argument("--max-replications", type=int, metavar="N",
                    help="staffing search: the most replications a value near the target gets "
                    "(default 4 × --replications, at most "
                    f"{experiment.PRECISION_CAP})")
    sp.add_argument("--out")
    sp.add_argument("--overwrite", action="store_true")
    sp.add_argument("--resume", action="store_true", help=RESUME_HELP)
    sp.set_defaults(func=cmd_sweep)

    sp = sub.add_parser("compare", help="paired differences against the base (CRN)")
    common(sp, 20)
    sp.add_argument("others", nargs="*", metavar="SCENARIO",
                    help="more presets or YAML files, each compared with the first (the base); "
                    "give them before the options")
    sp.add_argument("--alt", action="append", metavar="NAME:CHANGES",
                    help="an alternative: the base with changes, e.g. plus2:ips.coaches+=2, or "
                    "NAME:path/to/scenario.yaml (repeatable)")
    sp.add_argument("--kpi", action="append")
    sp.add_argument("--out", help="also write comparison.csv and compare.json to this folder")
    sp.add_argument("--overwrite", action="store_true")
    sp.add_argument("--resume", action="store_true", help=RESUME_HELP)
    sp.set_defaults(func=cmd_compare)

    sp = sub.add_parser("warmup", help="Welch plot and MSER-5 warm-up suggestion")
    common(sp, 5)
    sp.add_argument("--series", default="ips_waiting", help=f"one of {', '.join(SERIES)}")
    sp.add_argument("--window", type=int, default=4,
                    help="Welch half-window in weeks: 1 to the run's weekly samples − 1")
    sp.add_argument("--out")
    sp.add_argument("--overwrite", action="store_true")
    sp.set_defaults(func=cmd_warmup)

    sp = sub.add_parser("study", help="many scenarios (presets, files, variants, counties from key "
                        "numbers) × a staffing grid into one table and store")
    sp.add_argument("study", help="a study YAML file, e.g. sim/data/examples/study-presets.yaml")
    sp.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (0 = all cores)")
    dask = sp.add_mutually_exclusive_group()
    dask.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                      help="run on this running Dask cluster (needs the dask extra)")
    dask.add_argument("--workers", type=int, metavar="N",
                      help="run on a local Dask cluster of N worker processes (needs the dask extra)")
    sp.add_argument("--out", help="output folder (default results/NAME-study-TIMESTAMP)")
    sp.add_argument("--overwrite", action="store_true", help="replace files in --out")
    sp.add_argument("--resume", action="store_true", help=RESUME_HELP)
    sp.add_argument("--quiet", "-q", action="store_true")
    sp.add_argument("--lang", choices=LANGUAGES, default="en", help="language of study.xlsx and "
                    "the plot")
    sp.set_defaults(func=cmd_study)

    sp = sub.add_parser("brief", help="a decision brief (HTML and PDF) from a run, sweep or "
                        "compare folder")
    sp.add_argument("folder", help="a folder written by worksim run, sweep or compare --out")
    sp.add_argument("--lang", choices=LANGUAGES, default="en")
    sp.add_argument("--out", help="folder for brief-LANG.html and brief-LANG.pdf (default: FOLDER)")
    sp.add_argument("--question", help="the question the brief answers, in your own words")
    sp.add_argument("--overwrite", action="store_true", help="replace an existing brief")
    sp.set_defaults(func=cmd_brief)

    sp = sub.add_parser("fit", help="fit referral rates or a duration distribution from a CSV file")
    sp.add_argument("data", help="CSV: date,source | month,source,count | start,end | days")
    sp.add_argument("--field", default="stepwise.duration",
                    help="the duration field the fit is for (durations only), e.g. ips.job_tenure")
    sp.add_argument("--as-of", help="the data's extraction date: ongoing spells end there "
                    "(default: the latest date in the file)")
    sp.add_argument("--out", help="write the YAML fragment to this file (default: print it)")
    sp.add_argument("--overwrite", action="store_true", help="replace --out and the plots")
    sp.add_argument("--plot", metavar="DIR", help="write PNG plots of observed against fitted")
    sp.add_argument("--lang", choices=LANGUAGES, default="en", help="the report's and plots' language")
    sp.set_defaults(func=cmd_fit)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        with contextlib.ExitStack() as args.cleanup:  # e.g. a Dask cluster started for the command
            code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the try
        return code
    except KeyboardInterrupt:  # Ctrl-C: the finished replications are in the run folder's store
        print("\ninterrupted: a command with an output folder keeps the replications finished so "
              "far in its results.sqlite; run the same command again to resume.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`worksim presets | head -1`): as the Python docs recommend,
        # point stdout at devnull so the interpreter's final flush stays quiet
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except (ScenarioError, ValueError, FileExistsError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {' '.join(str(message).splitlines())}", file=sys.stderr)  # one line
        return 2
    except OSError as exc:  # e.g. the disk filled up while writing the results
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
