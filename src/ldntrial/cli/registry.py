"""``ldntrial registry``: the de-identified export, this site's signed summary bundle, and pooling
bundles from several sites without their raw data (docs/decisions/0030).

- ``export``: the researcher's de-identified tables (CSV or Parquet), audited.
- ``export-summary --out FILE``: per-patient summaries only, signed, with the site id and the
  protocols' fingerprints (``core.registry.federation``).
- ``site-key --out FILE``: this site's line for a coordinator's keys file.
- ``pool FILE... --keys KEYS``: verifies every bundle and pools them; refuses a tampered,
  unsigned or duplicated bundle (exit 3) with a message naming the site.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from ldntrial.cli.app import app, environment_of
from ldntrial.cli.web import _database
from ldntrial.core.errors import InvalidValue
from ldntrial.core.registry.analysis import StratumAnalysis
from ldntrial.core.registry.federation import BundleRefused, SiteBundle, SiteKey, pool_bundles

registry_app = typer.Typer(
    help="The registry: de-identified export and federated pooling across sites.",
    no_args_is_help=True,
)
app.add_typer(registry_app, name="registry")

ClinicOption = Annotated[
    str | None, typer.Option(help="Only this clinic (its name); default: every clinic here.")
]


def _clinic(name: str | None) -> Any:
    from ldntrial.web.accounts.models import Clinic

    if name is None:
        return None
    clinic = Clinic.objects.filter(name=name).first()
    if clinic is None:
        raise InvalidValue(f"no clinic is named {name!r}: give its name as the staff page shows")
    return clinic


def _write_private(path: Path, data: bytes) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
    except OSError as error:
        raise InvalidValue(f"cannot write {path}: {error.strerror}") from None


@registry_app.command("export")
def export_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="The file to write (made readable by you only).")],
    table: Annotated[str, typer.Option(help="summaries or diary")] = "summaries",
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
    clinic: ClinicOption = None,
) -> None:
    """Write the de-identified export: pseudonyms, shifted dates, no free text, small strata
    left out. The export is recorded in the audit trail."""
    env = environment_of(ctx)
    from ldntrial.web.registry.export import Format, Table

    try:
        chosen, kind = Table(table), Format(fmt)
    except ValueError:
        raise InvalidValue(
            "--table is summaries or diary, and --format is csv or parquet"
        ) from None
    _database()
    from django.conf import settings
    from django.db import transaction

    from ldntrial.web.audit.chain import record
    from ldntrial.web.audit.models import Action
    from ldntrial.web.registry.export import export

    where = _clinic(clinic)
    made = export(chosen, clinic=where, k=int(settings.LDNTRIAL_REGISTRY_MIN_CELL))
    _write_private(out, made.to_bytes(kind))
    with transaction.atomic():
        record(
            by="command line",
            action=Action.READ,
            object_type="registry.Export",
            object_id=f"{chosen.value}.{kind.value}",
            clinic_id=where.pk if where else None,
            reason=f"de-identified export: {chosen.value}.{kind.value}, {len(made.rows)} rows",
        )
    left = f"; {made.dropped_strata} small stratum(s) left out" if made.dropped_strata else ""
    env.console.print(f"Wrote {len(made.rows)} rows to {out}{left}.")


@registry_app.command("export-summary")
def export_summary(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="The bundle file to write.")],
    clinic: ClinicOption = None,
    site_id: Annotated[
        str | None, typer.Option(help="This site's id (default: $LDNTRIAL_SITE_ID).")
    ] = None,
) -> None:
    """Write this site's per-patient summaries (no diary), signed with its federation key."""
    env = environment_of(ctx)
    _database()
    from ldntrial.web.registry.bundles import export_bundle

    bundle = export_bundle(clinic=_clinic(clinic), now=env.now, site_id=site_id)
    _write_private(out, bundle.to_bytes())
    env.console.print(
        f"Wrote {len(bundle.records)} signed summaries of site {bundle.site_id} "
        f"({len(bundle.protocol_fingerprints)} protocols) to {out}."
    )


@registry_app.command("site-key")
def site_key_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Where to write the key line (mode 0600).")],
    site_id: Annotated[str | None, typer.Option(help="This site's id.")] = None,
) -> None:
    """Write this site's federation key as a keys-file line, to hand to the coordinator out of
    band (whoever holds it can check, and could also forge, this site's bundles)."""
    env = environment_of(ctx)
    _database()
    from ldntrial.web.registry.bundles import key_line, site_key

    key = site_key(site_id)
    _write_private(out, key_line(key).encode("ascii"))
    env.console.print(f"Wrote the key of site {key.site_id} (key id {key.key_id}) to {out}.")


def read_keys(path: Path) -> list[SiteKey]:
    """Site keys from a keys file: one ``site_id key_id base64url-key`` a line, # comments."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise BundleRefused(f"cannot read the keys file {path}: {error}") from None
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3:
            raise BundleRefused(f"{path}, line {number}: expected 'site_id key_id key'")
        try:
            secret = base64.urlsafe_b64decode(parts[2].encode())
        except (binascii.Error, ValueError):
            raise BundleRefused(f"{path}, line {number}: the key is not base64url") from None
        found.append(SiteKey(parts[0], parts[1], secret))
    if not found:
        raise BundleRefused(f"{path} holds no site key: add one line per site")
    return found


def read_bundle(path: Path) -> SiteBundle:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BundleRefused(f"cannot read {path}: {error.strerror}") from None
    try:
        return SiteBundle.from_bytes(data)
    except BundleRefused as error:
        raise BundleRefused(f"{path}: {error}") from None


@registry_app.command("pool")
def pool_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Site bundles (export-summary files).")],
    keys: Annotated[Path, typer.Option(help="The keys file: one line per site.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Pool summaries from several sites without their raw data: the same answer as pooling
    every patient in one place. Refuses tampered, unsigned or duplicated bundles."""
    env = environment_of(ctx)
    results = pool_bundles([read_bundle(f) for f in files], read_keys(keys))
    if as_json:
        typer.echo(json.dumps([stratum_json(r) for r in results], indent=2, sort_keys=True))
        return
    for result in results:
        env.console.print(describe(result))


def stratum_json(result: StratumAnalysis) -> dict[str, Any]:
    """What ``pool`` reports for one stratum (no patient key, no per-patient figure)."""
    flow = result.flow

    def pooled(p: Any) -> dict[str, Any] | None:
        if p is None:
            return None
        return {
            "patients": p.patients,
            "mean": p.mean,
            "mean_interval": list(p.mean_interval),
            "tau_median": p.tau_median,
            "tau_interval": list(p.tau_interval),
            "responder_share": p.responder_share,
            "mcid": p.mcid,
        }

    return {
        "condition": result.stratum.condition,
        "design": result.stratum.design.value,
        "metric": result.stratum.metric,
        "label": result.label,
        "flow": {
            "started": flow.started,
            "completed": flow.completed,
            "stopped_early": {r.value: n for r, n in flow.stopped_early},
            "lost_to_follow_up": flow.lost_to_follow_up,
            "running": flow.running,
        },
        "completers": pooled(result.completers),
        "intention_to_treat": pooled(result.intention_to_treat),
        "notes": list(result.notes),
    }


def describe(result: StratumAnalysis) -> str:
    flow = result.flow
    lines = [
        f"{result.stratum}: {flow.started} started, {flow.completed} completed, "
        f"{flow.stopped_early_total} stopped early, {flow.lost_to_follow_up} lost, "
        f"{flow.running} running",
        f"  {result.label}",
    ]
    for what, p in (("completers", result.completers), ("ITT", result.intention_to_treat)):
        if p is None:
            lines.append(f"  {what}: too few patients to pool")
            continue
        lines.append(
            f"  {what}: {p.patients} patients, mean {p.mean:.3f} "
            f"({p.mean_interval[0]:.3f} to {p.mean_interval[1]:.3f}), between-patient SD "
            f"{p.tau_median:.3f}, predicted responders {p.responder_share:.3f}"
        )
    return "\n".join(lines)
