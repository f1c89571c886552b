"""`transparency`: run the same Dagster graph in-process for one-off use.

Results go to stdout, problems to stderr with a non-zero exit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from pipelines.locations import LANDING, REPORTS, WAREHOUSE
from pipelines.periods import last_complete_month, months_ending, parse_month, previous_month
from pipelines.profile import ProfileError, default_profile_path, load_profile

# Dagster, DuckDB, WeasyPrint and the signing libraries are imported where a command needs them: `transparency
# --help` starts at once, and so do the report renderers, which are spawned processes that import this module.

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Transparency reports on incidents, compensation and insurance funds.",
)


@dataclass
class Settings:
    landing: Path
    warehouse: Path
    reports: Path
    profile: str  # "" = the demo profile shipped with the package
    verbose: bool = False


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


@app.callback()
def main(
    ctx: typer.Context,
    landing: Annotated[Path, typer.Option(envvar=LANDING[0], help="Landing directory.")] = Path(LANDING[1]),
    warehouse: Annotated[
        Path, typer.Option(envvar=WAREHOUSE[0], help="Working DuckDB file (written by the pipeline only).")
    ] = Path(WAREHOUSE[1]),
    reports: Annotated[Path, typer.Option(envvar=REPORTS[0], help="Output directory.")] = Path(REPORTS[1]),
    profile: Annotated[
        str | None, typer.Option(help="Entity profile TOML (default ./profile.toml, else the demo profile).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Dagster's log and stack traces.")] = False,
) -> None:
    ctx.obj = Settings(landing, warehouse, reports, profile if profile is not None else default_profile_path(),
                       verbose)


def _month(text: str) -> str:
    try:
        return parse_month(text)
    except ValueError as exc:
        _fail(str(exc))


def _profile(settings: Settings):
    try:
        return load_profile(Path(settings.profile) if settings.profile else None)
    except ProfileError as exc:
        _fail(str(exc))


def _materialize(settings: Settings, selection: str, partition: str | None = None, reason: str | None = None,
                 label: str = "") -> None:
    """Run the definitions' assets matching `selection` in-process, showing its steps; exit non-zero with the
    failures, and only them, if any."""
    import dagster as dg

    from pipelines.defs.resources import make_resources
    from pipelines.materialize import asset_job, execute
    from pipelines.progress import StepProgress

    resources = make_resources(str(settings.landing), str(settings.warehouse), settings.profile, str(settings.reports))
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None
    with StepProgress(label or selection) as progress:
        job = asset_job(selection, resources,
                        loggers={"progress": progress.logger_def(), "console": dg.colored_console_logger})
        progress.expect(len(job.graph.nodes))
        result = execute(
            job, partition, instance=instance, tags={"launched_by": "transparency-cli"},
            run_config={
                # Dagster's own step-by-step log only with --verbose (and in the UI when DAGSTER_HOME is set).
                "loggers": {"progress": {}, **({"console": {"config": {"log_level": "DEBUG"}}} if settings.verbose
                                               else {})},
                **({"ops": {"reports__period_reports": {"config": {"reason": reason}}}} if reason else {}),
            },
        )
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            level = "error" if evaluation.severity == dg.AssetCheckSeverity.ERROR else "warning"
            failures = evaluation.metadata.get("failures")
            typer.echo(
                f"{level}: check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed "
                f"({failures.value if failures else '?'} rows): {evaluation.metadata.get('examples').value}",
                err=True,
            )
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                failure = event.step_failure_data
                if failure.user_failure_data:  # a dg.Failure: the user's data or setup, said in its own words
                    typer.echo(failure.user_failure_data.description, err=True)
                else:
                    typer.echo(f"{event.step_key} failed: {failure.error.message.strip()}", err=True)
                    if settings.verbose:
                        typer.echo(failure.error.to_string(), err=True)
        raise typer.Exit(1)


@app.command()
def validate(
    ctx: typer.Context,
    landing_dir: Annotated[Path | None, typer.Argument(help="Landing directory (default: --landing).")] = None,
) -> None:
    """Check landing files against the data contract and list every error."""
    settings: Settings = ctx.obj
    directory = landing_dir or settings.landing
    if not directory.is_dir():
        _fail(f"{directory}: no such landing directory")
    from pipelines.staging import validate_landing

    result = validate_landing(directory, _profile(settings))
    if result.ok:
        typer.echo(result.summary())
        typer.echo(f"{directory}: every record meets the contract.")
        return
    typer.echo(result.summary(), err=True)
    _fail(f"{directory}: {len(result.errors)} contract violations.")


@app.command()
def demo(
    ctx: typer.Context,
    months: Annotated[int, typer.Option(min=1, help="Number of complete months to generate.")] = 6,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 7,
    end_month: Annotated[
        str | None, typer.Option(help="Last month generated, YYYY-MM (default: the last complete month).")
    ] = None,
    scale: Annotated[
        str | None,
        typer.Option(help="Exchange-sized months as Parquet: 'large' (30 million fund movements, 1 million claims "
                     "and payouts, 1,000 incidents a month), 'medium', 'small', 'tiny' (0.1, 0.01, 0.001 of that) "
                     "or any factor, e.g. 0.05."),
    ] = None,
) -> None:
    """Generate demo data into the landing directory, then build and publish every month of it."""
    settings: Settings = ctx.obj
    last = _month(end_month) if end_month else last_complete_month(datetime.now(UTC).date())
    periods = months_ending(last, months)
    factor = None
    if scale is not None:  # checked before the landing files of an earlier set are removed
        from pipelines.demo import parse_scale

        try:
            factor = parse_scale(scale)
        except ValueError as exc:
            _fail(f"--scale: {exc}")
    typer.echo(f"Generating {months} months of demo data ({periods[0]} to {periods[-1]}) into {settings.landing}")
    from pipelines.contract import TABLES
    from pipelines.landing import clear_landing

    removed = clear_landing(settings.landing, TABLES)
    if removed:
        typer.echo(f"  replaced {removed} landing files of an earlier set")
    if factor is None:
        from pipelines.demo import generate_demo

        counts = generate_demo(settings.landing, periods[0], months, seed, _profile(settings))
    else:
        from pipelines.demo import generate_large

        counts = generate_large(settings.landing, periods[0], months, factor, seed, _profile(settings))
    for table, rows in counts.items():
        typer.echo(f"  {table}: {rows} rows")
    _publish(settings, periods)


@app.command()
def run(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help="The month to build and publish, YYYY-MM.")],
    reason: Annotated[str | None, typer.Option(
        help="Why a restated month changed, for its corrections log (default: late data).")] = None,
) -> None:
    """Ingest, aggregate and publish one month: the same assets the monthly schedule runs."""
    _publish(ctx.obj, [_month(period)], reason)


@app.command()
def verify(
    ctx: typer.Context,
    version_dir: Annotated[Path, typer.Argument(help="A published version, e.g. reports/2026-10/v1.")],
    trust_root: Annotated[
        Path | None, typer.Option(help="Certificate trusted to sign (default: the profile's signing certificate).")
    ] = None,
    since: Annotated[Path | None, typer.Option(
        help="A tree head of the publication log saved earlier (log/latest.json then): check that today's log "
             "still begins with it.")] = None,
) -> None:
    """Re-hash a published version against its manifest, validate its signature, and check that the signed
    publication log includes it (and, with --since, that no version logged before was rewritten or removed)."""
    import json

    from pipelines.publication import verify_version
    from pipelines.publication_log import latest_head, verify_log

    settings: Settings = ctx.obj
    root = trust_root or Path(_profile(settings).signing.certificate)
    certificate = root if root.is_file() else None
    problems = verify_version(version_dir, certificate)
    resolved = version_dir.resolve()
    reports_dir, version = resolved.parents[1], f"{resolved.parent.name}/{resolved.name}"
    older = None
    if since is not None:
        try:
            older = json.loads(since.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            _fail(f"{since}: cannot read the saved tree head: {exc}")
    if certificate is None:
        problems.append("log: no trusted certificate to check the signed tree heads with")
    else:
        problems += [f"log: {p}" for p in verify_log(reports_dir, version, certificate, older)]
    if problems:
        for problem in problems:
            typer.echo(f"{version_dir}: {problem}", err=True)
        _fail(f"{version_dir}: {len(problems)} problems; this version cannot be trusted.")
    head = latest_head(reports_dir)
    typer.echo(f"{version_dir}: every file matches its manifest and the signature is valid; the version is in the "
               f"publication log signed at {head['timestamp']} ({head['size']} versions, root {head['root_hash']})"
               + (f", which extends the one of {older['timestamp']} ({older['size']} versions)." if older else "."))


receipt_app = typer.Typer(no_args_is_help=True, help="Compensation receipts (docs/RECEIPTS.md).")
app.add_typer(receipt_app, name="receipt")


@receipt_app.command("verify")
def receipt_verify(
    receipt: Annotated[Path, typer.Argument(help="A receipt, <claim>.json.")],
    version_dir: Annotated[Path | None, typer.Option(
        help="The published version it names, e.g. reports/2026-10/v1: check the root is the one published.")]
    = None,
    account: Annotated[str | None, typer.Option(help="The claimant's account reference: check the claim is "
                                                     "theirs.")] = None,
) -> None:
    """Check a receipt and print what it proves: the claim counted under its month's root, with its decision,
    approved and paid amounts."""
    import json

    from pipelines.publication import read_manifest
    from pipelines.receipts import verify_receipt

    try:
        data = json.loads(receipt.read_text(encoding="utf-8"))
        published = read_manifest(version_dir)["compensation_root"] if version_dir else None
        proven = verify_receipt(data, published, account)
    except (OSError, ValueError, KeyError) as exc:
        _fail(f"{receipt}: NOT VALID: {exc}")
    if version_dir and proven.version != read_manifest(version_dir)["version"]:
        _fail(f"{receipt}: NOT VALID: a receipt of version {proven.version}, not of {version_dir}")
    leaf = proven.leaf
    typer.echo(f"Claim {proven.claim} is counted in the compensation root {proven.root} of {proven.period}, "
               f"version {proven.version}"
               + (f" (the root published in {version_dir})" if version_dir else "") + ".")
    approved = f"{leaf['approved_amount']} {leaf['asset']}" if leaf["approved_amount"] else "nothing"
    decided = f", decided {leaf['decided_at']}" if leaf["decided_at"] else ""
    typer.echo(f"  decision: {leaf['decision'].replace('_', ' ')}{decided}"
               + ("" if leaf["decided_in_period"] else f" (before {proven.period})") + f"; approved: {approved}")
    for p in leaf["payouts"]:
        typer.echo(f"  paid {p['amount']} {p['asset']} on {p['paid_at']} = {p['usd']} USD "
                   f"({p['funding_source'].replace('_', ' ')})")
    typer.echo("  adds to the root: " + ", ".join(f"{k} {v}" for k, v in proven.sums.items()))
    typer.echo("  root sums: " + ", ".join(f"{k} {v}" for k, v in proven.root_sums.items()))
    if account:
        typer.echo(f"  account: {account} (its commitment matches)")


@receipt_app.command("issue")
def receipt_issue(
    ctx: typer.Context,
    period: Annotated[str, typer.Argument(help="The month, YYYY-MM.")],
    claims: Annotated[list[str] | None, typer.Argument(help="The claims whose receipts to write.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every claim of the month (for a month of thousands, not "
                                                      "millions).")] = False,
    version: Annotated[int | None, typer.Option(help="The version (default: the latest published).")] = None,
    out: Annotated[Path, typer.Option(help="The folder the receipts are written into, <claim>.json.")] = Path("."),
) -> None:
    """Write claimants' receipts from the version's receipt store (the back office's; docs/RECEIPTS.md)."""
    from pipelines.defs.resources import make_resources
    from pipelines.publication import latest_version
    from pipelines.receipt_store import STORE_FILE, Store, write_receipt_files
    from pipelines.receipts import ReceiptError

    settings: Settings = ctx.obj
    period = _month(period)
    if not claims and not every:
        _fail("name the claims, or --all")
    version = version or latest_version(settings.reports, period)
    if not version:
        _fail(f"{period}: no published version in {settings.reports}")
    reports = make_resources(str(settings.landing), str(settings.warehouse), settings.profile,
                             str(settings.reports))["reports"]
    try:
        with Store(reports.receipts_dir(period, version) / STORE_FILE) as store:
            written = write_receipt_files(store, store.claims() if every else claims, version, out)
    except ReceiptError as exc:
        _fail(f"{period} v{version}: {exc}")
    typer.echo(f"{len(written)} receipts of {period} v{version} written into {out}")


dora_app = typer.Typer(no_args_is_help=True, help="DORA major-incident reports: what is due when, and what was sent.")
app.add_typer(dora_app, name="dora")


def _dora_authority(profile, short_name: str | None):
    """The competent authority of the DORA reports (the profile's regulator with a [dora] section), checked against
    --authority when it is given."""
    authority = profile.dora_authority
    if authority is None or short_name not in (None, authority.short_name):
        _fail(f"--authority {short_name or '(not given)'}: the profile's competent authority for DORA reports (its "
              f"regulator with a [dora] section) is {authority.short_name if authority else 'not set'}")
    return authority


def _major_incidents(settings: Settings) -> list[dict]:
    if not settings.warehouse.is_file():
        _fail(f"{settings.warehouse}: no warehouse yet; build a month first (transparency run or demo)")
    from pipelines.dora.status import major_incidents
    from pipelines.warehouse import connect

    with connect(settings.warehouse, read_only=True) as con:
        return major_incidents(con)


def _utc_text(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


@dora_app.command("submitted")
def dora_submitted(
    ctx: typer.Context,
    incident: Annotated[str, typer.Argument(help="The incident's id, e.g. INC-2026-0007.")],
    stage: Annotated[str, typer.Option(help="initial, intermediate, updated_intermediate or final.")],
    at: Annotated[str, typer.Option(help="When it was sent, ISO 8601 with its offset, e.g. 2026-10-06T13:10Z.")],
    reference: Annotated[str | None, typer.Option(help="The authority's reference of the incident (field 3.1).")]
    = None,
    authority: Annotated[str | None, typer.Option(help="The authority's short name (default: the profile's "
                                                       "only one with a [dora] section).")] = None,
) -> None:
    """Record that a report was sent to the authority, and when: the next stage's deadline runs from it."""
    from pipelines.dora.submissions import SubmissionError, parse_time, record
    from pipelines.locations import dora_register

    settings: Settings = ctx.obj
    regulator = _dora_authority(_profile(settings), authority)
    if incident not in {i["incident_id"] for i in _major_incidents(settings)}:
        _fail(f"{incident}: not a major incident in {settings.warehouse} (no built month classifies it major)")
    try:
        entry = record(dora_register(settings.warehouse), incident, regulator.short_name, stage, parse_time(at),
                       reference, datetime.now(UTC))
    except SubmissionError as exc:
        _fail(str(exc))
    typer.echo(f"{incident}: {stage.replace('_', ' ')} report to {regulator.short_name} recorded as submitted at "
               f"{entry.submitted_at} (in {dora_register(settings.warehouse)})")


STATE_WORDS = {"due": "due", "overdue": "OVERDUE", "waiting": "waits", "not_required": "not required", "sent": "sent"}


@dora_app.command("status")
def dora_status(
    ctx: typer.Context,
    now: Annotated[str | None, typer.Option("--at", help="The time to judge deadlines at (default: now), ISO "
                                                        "8601 with its offset.")] = None,
    authority: Annotated[str | None, typer.Option(help="The authority's short name (default: the profile's "
                                                       "only one with a [dora] section).")] = None,
    delay_notices: Annotated[Path | None, typer.Option(
        help="Write a draft delay notice into this folder for every report overdue or due within --within.")]
    = None,
    within: Annotated[float, typer.Option(min=0, help="Hours ahead that a deadline counts as at risk.")] = 4,
) -> None:
    """Every major incident with each report's deadline (RTS 2025/301 Art. 5), whether it was sent, and its latest
    draft."""
    from datetime import timedelta

    from pipelines.dora.deadlines import Calendar
    from pipelines.dora.drafts import manifest
    from pipelines.dora.status import at_risk, delay_notice, incident_status
    from pipelines.dora.submissions import SubmissionError, of_incident, parse_time, read
    from pipelines.files import write_atomic
    from pipelines.locations import dora_register

    settings: Settings = ctx.obj
    profile = _profile(settings)
    regulator = _dora_authority(profile, authority)
    try:
        moment = parse_time(now) if now else datetime.now(UTC)
        submissions = read(dora_register(settings.warehouse))
        # the latest version drafted of each incident's stage (reports/dora/manifest.jsonl)
        drafted = {(e["incident_id"], e["stage"]): e["json"] for e in manifest(settings.reports / "dora")}
        incidents = _major_incidents(settings)
        if not incidents:
            typer.echo("No major incident in the months built.")
        for incident in incidents:
            typer.echo(f"{incident['incident_id']}  {incident['title']}  (detected {_utc_text(incident['detected_at'])}"
                       f", classified {_utc_text(incident['classified_at'])}, recovered "
                       f"{_utc_text(incident['resolved_at']) if incident['resolved_at'] else 'not yet'}) "
                       f"to {regulator.short_name}")
            recorded = of_incident(submissions, incident["incident_id"], regulator.short_name)
            stages = incident_status(incident, {s.stage: s.at for s in recorded}, profile.classification,
                                     Calendar.of(regulator.dora), moment)
            for s in stages:
                due = _utc_text(s.deadline.due_at) if s.deadline.due_at else s.deadline.basis
                moved = " (moved from a day off)" if s.deadline.shifted else ""
                sent = (f"; sent {_utc_text(s.sent_at)} ({s.source}){', late' if s.late else ''}" if s.sent_at
                        else "")
                typer.echo(f"  {s.deadline.stage.replace('_', ' '):<21} {STATE_WORDS[s.state]:<12} due {due}"
                           f"{moved}{sent}" if s.state != "not_required" else
                           f"  {s.deadline.stage.replace('_', ' '):<21} not required")
                if file := drafted.get((incident["incident_id"], s.deadline.stage)):
                    typer.echo(f"  {'':<21} draft {settings.reports / file}")
            for s in at_risk(stages, moment, timedelta(hours=within)) if delay_notices else []:
                reference = next((r.reference for r in reversed(recorded) if r.reference), None)
                target = delay_notices / f"{incident['incident_id']}-{s.deadline.stage}-delay.txt"
                write_atomic(target, delay_notice(profile.legal_name, profile.lei, f"{regulator.name} "
                                                  f"({regulator.dora.channel})", incident, s, reference))
                typer.echo(f"  draft delay notice: {target}")
    except SubmissionError as exc:
        _fail(str(exc))


@app.command("sql")
def sql_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A file of sql/: a mart, an intermediate, a report or a check query.")],
    period: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
    csv_out: Annotated[bool, typer.Option("--csv", help="Every row as CSV, instead of a table of the first ones.")]
    = False,
    max_rows: Annotated[int, typer.Option(min=1, help="Rows shown in the table.")] = 40,
) -> None:
    """Run one SQL file for a month as the pipeline runs it (its windows and the intermediates it names set up
    first) on the warehouse, read-only, and print its rows."""
    settings: Settings = ctx.obj
    _month(period)
    if not settings.warehouse.is_file():
        _fail(f"{settings.warehouse}: no warehouse yet; build a month first (transparency run or demo)")
    import csv
    import sys

    import duckdb

    from pipelines.marts import query
    from pipelines.sql import SqlFile
    from pipelines.warehouse import connect

    try:
        sql_file = SqlFile.at(file)
        with connect(settings.warehouse, read_only=True) as con:
            rows = query(con, sql_file, period)
            if csv_out:
                writer = csv.writer(sys.stdout, lineterminator="\n")
                writer.writerow(rows.columns)
                writer.writerows(rows.fetchall())
            else:
                rows.show(max_rows=max_rows, max_width=10_000)
    except (ValueError, OSError, duckdb.Error) as exc:
        _fail(f"{file}: {exc}")


def _publish(settings: Settings, periods: list[str], reason: str | None = None) -> None:
    """Stage the landing files once, then build every period in order, then replace the analyst snapshot."""
    from pipelines.defs.metrics import PREVIOUS_MONTH_SELECTION
    from pipelines.marts import unclassified_month
    from pipelines.warehouse import connect

    typer.echo(f"Validating and staging {settings.landing} into {settings.warehouse}")
    _materialize(settings, "key:staging/*", label="staging")
    for period in periods:
        previous = previous_month(period)
        with connect(settings.warehouse, read_only=True) as con:
            unbuilt = unclassified_month(con, previous)
        if unbuilt:  # month over month reads it (declared to Dagster); build it whatever order months come in
            typer.echo(f"{previous}: building the incident register that {period} compares with")
            _materialize(settings, PREVIOUS_MONTH_SELECTION, partition=previous, label=previous)
        typer.echo(f"{period}: building marts, checks, metrics and reports; publishing")
        _materialize(settings, "key:marts/* or key:reports/* or key:publishing/period_publication", partition=period,
                     reason=reason, label=period)
    typer.echo(f"Writing the analyst snapshot {settings.reports / 'analytics.duckdb'}")
    _materialize(settings, "key:publishing/analytics_snapshot", label="snapshot")
    typer.echo("Done.")


import_app = typer.Typer(no_args_is_help=True, help="Pull from a real source into the landing directory.")
app.add_typer(import_app, name="import")


def _day(text: str | None) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC) if text else None


def _report_import(counts: dict[str, int], landing: Path) -> None:
    for table, rows in counts.items():
        typer.echo(f"{table}: {rows} rows written under {landing}")


@import_app.command("statuspage")
def import_statuspage_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A saved /api/v2/incidents.json response, or its https URL (--live).")],
    supplement: Annotated[
        Path | None, typer.Option(help="Operator supplement (CSV or JSON lines keyed by incident_id).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only incidents started on or after this day, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Only incidents started before this day, YYYY-MM-DD.")] = None,
    live: Annotated[bool, typer.Option(help="Allow fetching an https URL.")] = False,
) -> None:
    """Incidents and their service impacts from an Atlassian Statuspage feed."""
    from pipelines.sources.statuspage import FeedError, import_statuspage

    settings: Settings = ctx.obj
    try:
        counts = import_statuspage(source, settings.landing, _profile(settings), supplement=supplement,
                                   since=_day(since), until=_day(until), live=live)
    except (FeedError, OSError, ValueError) as exc:
        _fail(str(exc))
    _report_import(counts, settings.landing)


@import_app.command("insurance-fund")
def import_insurance_fund_command(
    ctx: typer.Context,
    exchange: Annotated[str, typer.Option(help="binance, okx, bybit or bitmex.")],
    sources: Annotated[list[str], typer.Argument(help="Saved responses (files or folders), or https URLs (--live).")],
    fund_id: Annotated[str | None, typer.Option(help="Fund code to record (default: derived from the response).")]
    = None,
    live: Annotated[bool, typer.Option(help="Allow fetching https URLs (with timeouts and retries).")] = False,
) -> None:
    """Insurance-fund balances (and OKX's typed events as movements) from an exchange's public API response."""
    from pipelines.sources.exchanges import ResponseError, import_insurance_fund
    from pipelines.sources.http import FetchError

    settings: Settings = ctx.obj
    try:
        counts = import_insurance_fund(exchange, sources if len(sources) > 1 else sources[0], settings.landing,
                                       fund_id=fund_id, live=live)
    except (ResponseError, FetchError, OSError, ValueError) as exc:
        _fail(str(exc))
    _report_import(counts, settings.landing)


@import_app.command("postgres")
def import_postgres_command(
    ctx: typer.Context,
    dsn: Annotated[
        str, typer.Option(envvar="TRANSPARENCY_BACKOFFICE_DSN", help="PostgreSQL DSN of the back office (a secret).")
    ],
    full: Annotated[bool, typer.Option(help="Read every row again instead of the changes since the last import.")]
    = False,
) -> None:
    """Compensation claims and payouts from the PostgreSQL back office, incrementally (sql/backoffice/schema.sql)."""
    from pipelines.sources.backoffice import BackofficeError, import_backoffice

    settings: Settings = ctx.obj
    try:
        counts = import_backoffice(dsn, settings.landing, full=full)
    except (BackofficeError, OSError) as exc:
        _fail(str(exc))
    _report_import(counts, settings.landing)


@app.command()
def contract() -> None:
    """Print the data contract (tables, columns, types, rules) as Markdown."""
    from pipelines import contract_doc

    typer.echo(contract_doc.render(), nl=False)

