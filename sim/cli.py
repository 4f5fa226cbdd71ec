"""The planners' command line: ``worksim`` (or ``python -m sim``).

    worksim presets
    worksim validate FILE
    worksim run PRESET_OR_FILE --replications 20 --seed 1 --out DIR
    worksim sweep PRESET_OR_FILE --vary ips.coaches=6:16 --target "ips_wait_days.p90<=30"
    worksim compare PRESET_OR_FILE --alt "plus2=ips.coaches+=2" --alt "cap15=ips.caseload_per_coach=15"
    worksim warmup PRESET_OR_FILE --series ips_waiting

Bad input never shows a traceback: the message names the field, the value and the fix,
and the exit status is 2.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

import yaml

from . import __version__, experiment, plots, report
from .scenario import Scenario, ScenarioError, list_presets, preset, resolve

__all__ = ["main"]

KEY_KPIS = ("referrals", "assessment_wait_days.mean", "assessment_wait_days.p90",
            "team_wait_days.mean", "ips_wait_days.mean", "ips_wait_days.p90",
            "ips_started_within_30d_share", "time_to_first_job_days.mean",
            "employed_within_365d_share", "ips_employed_within_365d_share",
            "stepwise_employed_within_365d_share", "coach_caseload_utilisation",
            "coordinator_utilisation", "ips_waiting_mean", "waiting_at_end", "exit_employed",
            "exit_dropout", "exit_in_service")


def _parse_set(items: Sequence[str], base: Scenario) -> dict[str, Any]:
    """``key=value`` (YAML value) or ``key+=number`` relative to the base scenario."""
    changes: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: write it as FIELD=VALUE, e.g. ips.coaches=8.")
        key, _, raw = item.partition("=")
        if key.endswith("+") or key.endswith("-"):
            sign = 1 if key.endswith("+") else -1
            key = key[:-1]
            value = base.get(key) + sign * yaml.safe_load(raw)
        else:
            value = yaml.safe_load(raw)
        changes[key.strip()] = value
    return changes


def _scenario(args: argparse.Namespace) -> Scenario:
    base = resolve(args.scenario)
    changes = _parse_set(getattr(args, "set", None) or [], base)
    if getattr(args, "horizon_days", None):
        changes["horizon_days"] = args.horizon_days
    return base.with_changes(changes) if changes else base


def _progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


def cmd_presets(args: argparse.Namespace) -> int:
    for name in list_presets():
        s = preset(name)
        print(f"{name:22s} {s.arrivals.per_year:9,.0f} referrals/yr  "
              f"{s.assessment.coordinators:g} coordinators  {s.ips.coaches:g} coaches")
        if args.verbose and s.description:
            print(f"{'':22s} {s.description}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    s = resolve(args.scenario)
    print(f"OK: {s.name} — {s.arrivals.per_year:,.0f} referrals a year, horizon "
          f"{s.horizon_days:g} days, {s.assessment.coordinators:g} coordinators, "
          f"{s.ips.coaches:g} coaches × {s.ips.caseload_per_coach} places.")
    for message in experiment.stability_warnings(s):
        print(f"warning: {message}")
    if s.arrivals.per_year * s.horizon_days / 365 <= 50_000:  # a few seconds at most
        floor = experiment.offered_load(s, replications=1)
        for param, value in (("ips.coaches", s.ips.coaches),
                             ("assessment.coordinators", s.assessment.coordinators)):
            if value <= floor[param]:
                print(f"warning: {param} = {value:g} is at or below the offered-load floor "
                      f"{floor[param]:.1f}: with unlimited places this many would be in use on "
                      "average, so the waiting list grows for as long as the run lasts.")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    s = _scenario(args)
    out = report.prepare_out_dir(args.out, s.name, overwrite=args.overwrite)
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", experiment.UnstableScenarioWarning)
        reps = experiment.replicate(s, args.replications, args.seed, jobs=args.jobs,
                                    progress=_progress(args))
    wall = time.perf_counter() - started
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    report.write_run(reps, out, command=" ".join(["worksim", *sys.argv[1:]]),
                     wall_seconds=wall, lang=args.lang)
    print(f"{s.name}: {reps.n} replications, seed {args.seed}, horizon {s.horizon_days:g} days "
          f"({wall:.1f} s)")
    print(report.format_table(reps.summary(), None if args.all else KEY_KPIS))
    for line in bottlenecks(reps):
        print(f"note: {line}")
    print(f"\nWrote summary.csv, replications.csv, summary.xlsx, run.json, report.md and "
          f"PNG plots to {out}/")
    return 0


def bottlenecks(reps: experiment.Replications) -> list[str]:
    """Plain-language pointers for a planner reading the table (no judgement beyond the CI)."""
    notes = []
    util = reps.ci("coach_caseload_utilisation").mean
    p90 = reps.ci("ips_wait_days.p90")
    if util > 0.95 and p90.low > 30:
        notes.append(f"coaches' caseloads are full {util:.0%} of the time and the 90th-percentile "
                     f"wait for coaching is {p90.mean:.0f} days; try `worksim sweep "
                     f"{reps.scenario.name} --vary ips.coaches=... --target "
                     "\"ips_wait_days.p90<=30\"` to find the fewest coaches that meet a month.")
    coord = reps.ci("coordinator_utilisation").mean
    if coord > 0.9:
        notes.append(f"coordinators are busy {coord:.0%} of the time; assessment waits grow fast "
                     "near full use.")
    return notes


def cmd_sweep(args: argparse.Namespace) -> int:
    s = _scenario(args)
    vary: dict[str, list] = {}
    for item in args.vary:
        key, sep, values = item.partition("=")
        if not sep:
            raise ValueError(f"--vary {item!r}: write it as FIELD=START:STOP[:STEP] or "
                             "FIELD=v1,v2,…, e.g. ips.coaches=6:16.")
        s.get(key)  # names an unknown field clearly
        vary[key] = experiment.parse_range(values)
    target = experiment.parse_target(args.target) if args.target else None
    out = report.prepare_out_dir(args.out, f"{s.name}-sweep", overwrite=args.overwrite)
    if target is not None and len(vary) == 1 and next(iter(vary)) in experiment.STAFF_PARAMETERS:
        param = next(iter(vary))
        result = experiment.min_staffing(s, param, vary[param], target, args.replications,
                                         args.seed, jobs=args.jobs, progress=_progress(args))
    else:
        result = experiment.sweep(s, vary, args.replications, args.seed, target=target,
                                  jobs=args.jobs, progress=_progress(args))
    kpis = [target.kpi] if target else []
    kpis += [k for k in ("ips_wait_days.p90", "ips_wait_days.mean", "coach_caseload_utilisation",
                         "assessment_wait_days.p90", "employed_within_365d_share") if k not in kpis]
    report.write_sweep(result, out, kpis, lang=args.lang)
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
    print(f"\nWrote sweep.csv, sweep.xlsx{' and capacity.png' if len(vary) == 1 else ''} to {out}/")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    base = _scenario(args)
    alts: dict[str, Scenario] = {}
    for spec in args.alt:
        name, sep, body = spec.partition(":")
        if not sep:
            raise ValueError(f"--alt {spec!r}: write NAME:FIELD=VALUE[,FIELD=VALUE] or "
                             "NAME:path/to/scenario.yaml.")
        if body.endswith((".yaml", ".yml")):
            alts[name] = resolve(body)
        else:
            alts[name] = base.with_changes(_parse_set(body.split(","), base))
    cmp = experiment.compare(base, alts, args.replications, args.seed, jobs=args.jobs,
                             progress=_progress(args))
    kpis = args.kpi or ["ips_wait_days.mean", "ips_wait_days.p90", "employed_within_365d_share",
                        "coach_caseload_utilisation"]
    print(f"Paired differences (alternative − {base.name}), {args.replications} replications "
          "with common random numbers:")
    print(f"{'scenario':14s} {'metric':34s} {'base':>10s} {'alt':>10s} {'diff':>10s} "
          f"{'95% CI of diff':>24s}")
    for r in cmp.rows(kpis):
        print(f"{r['scenario']:14s} {r['metric']:34s} {r['base_mean']:10.3f} {r['alt_mean']:10.3f}"
              f" {r['difference']:10.3f} [{r['ci95_low']:10.3f}, {r['ci95_high']:10.3f}]")
    return 0


def cmd_warmup(args: argparse.Namespace) -> int:
    s = _scenario(args)
    analysis = experiment.warmup_analysis(s, args.series, args.replications, args.seed,
                                          args.window, jobs=args.jobs)
    print(f"{s.name}: MSER-5 suggests a warm-up of about {analysis['suggested_warmup_days']:.0f} "
          f"days for '{args.series}' (Welch window {args.window} weeks).")
    if args.out:
        out = report.prepare_out_dir(args.out, f"{s.name}-warmup", overwrite=args.overwrite)
        plots.warmup_figure(analysis).savefig(out / "warmup.png", dpi=110)
        print(f"Wrote {out / 'warmup.png'}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="worksim", description="Pathway capacity simulation for "
                                "work-ability coordinators and IPS job coaches.")
    p.add_argument("--version", action="version", version=f"worksim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    sp = sub.add_parser("presets", help="list the shipped scenarios")
    sp.add_argument("-v", "--verbose", action="store_true")
    sp.set_defaults(func=cmd_presets)

    sp = sub.add_parser("validate", help="check a scenario file")
    sp.add_argument("scenario", help="a preset name or a YAML file")
    sp.set_defaults(func=cmd_validate)

    def common(sp: argparse.ArgumentParser, reps: int) -> None:
        sp.add_argument("scenario", help="a preset name or a YAML file")
        sp.add_argument("--replications", "-n", type=int, default=reps)
        sp.add_argument("--seed", type=int, default=1)
        sp.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (0 = all cores)")
        sp.add_argument("--set", action="append", metavar="FIELD=VALUE",
                        help="change a field, e.g. --set ips.coaches=9 (repeatable)")
        sp.add_argument("--horizon-days", type=float)
        sp.add_argument("--quiet", "-q", action="store_true")
        sp.add_argument("--lang", choices=("en", "fi"), default="en")

    sp = sub.add_parser("run", help="replications of one scenario")
    common(sp, 20)
    sp.add_argument("--out", help="output folder (default results/NAME-TIMESTAMP)")
    sp.add_argument("--overwrite", action="store_true", help="replace files in --out")
    sp.add_argument("--all", action="store_true", help="print every KPI")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("sweep", help="vary one or two parameters; find the fewest staff")
    common(sp, 10)
    sp.add_argument("--vary", action="append", required=True, metavar="FIELD=RANGE")
    sp.add_argument("--target", help='e.g. "ips_wait_days.p90<=30"')
    sp.add_argument("--out")
    sp.add_argument("--overwrite", action="store_true")
    sp.set_defaults(func=cmd_sweep)

    sp = sub.add_parser("compare", help="paired differences against the base (CRN)")
    common(sp, 20)
    sp.add_argument("--alt", action="append", required=True, metavar="NAME:CHANGES")
    sp.add_argument("--kpi", action="append")
    sp.set_defaults(func=cmd_compare)

    sp = sub.add_parser("warmup", help="Welch plot and MSER-5 warm-up suggestion")
    common(sp, 5)
    sp.add_argument("--series", default="ips_waiting")
    sp.add_argument("--window", type=int, default=4)
    sp.add_argument("--out")
    sp.add_argument("--overwrite", action="store_true")
    sp.set_defaults(func=cmd_warmup)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except (ScenarioError, ValueError, FileExistsError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
