"""The entity profile: who publishes, which services and funds exist, and the thresholds that apply."""

from __future__ import annotations

import os
import re
import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEMO_PROFILE = resources.files("pipelines") / "demo" / "profile.toml"


def check_lei(lei: str) -> str:
    """ISO 17442: 20 alphanumerics whose ISO 7064 MOD 97-10 check is 1."""
    if not re.fullmatch(r"[0-9A-Z]{18}[0-9]{2}", lei):
        raise ValueError("an LEI is 18 upper-case letters or digits followed by 2 check digits")
    if int("".join(str(int(ch, 36)) for ch in lei)) % 97 != 1:
        raise ValueError(f"LEI {lei} fails its ISO 17442 check digits")
    return lei


class _Strict(BaseModel):
    # Unknown keys are typos, not extensions: reject them.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Service(_Strict):
    code: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str
    critical: bool
    active_clients: int = Field(gt=0)
    daily_transactions: int = Field(gt=0)
    daily_value_usd: Decimal = Field(gt=0)


class Fund(_Strict):
    code: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str


class DoraReporting(_Strict):
    """How the entity files its DORA major-incident reports with a competent authority (RTS 2025/301 Art. 5, ITS
    2025/302): where they go, in which version of the authorities' JSON, and the calendar its deadlines follow."""

    channel: str  # where the files are sent, in words (a portal, an upload, an API)
    schema_version: str = "IR-1.2.1"  # the authorities' incident-report JSON the files follow
    timezone: str  # the authority's (IANA), whose 12:00 a deadline moved to the next working day falls at
    # its Member State's public holidays (python-holidays), optionally of a subdivision: "LU", "DE-HE"
    holiday_calendar: str = Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    # the reports whose deadline on a weekend or holiday moves to noon of the next working day (all three for a
    # crypto-asset service provider, unless the authority withdrew the relief)
    weekend_relief: tuple[Literal["initial", "intermediate", "final"], ...] = ("initial", "intermediate", "final")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, timezone: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {timezone!r}: expected an IANA name such as "
                             "Europe/Luxembourg") from None
        return timezone

    @field_validator("holiday_calendar")
    @classmethod
    def _known_calendar(cls, calendar: str) -> str:
        import holidays

        country, _, subdivision = calendar.partition("-")
        try:
            holidays.country_holidays(country, subdiv=subdivision or None)
        except NotImplementedError as error:
            raise ValueError(f"no public-holiday calendar {calendar!r}: {error}") from error
        return calendar


class Contact(_Strict):
    name: str
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str = Field(pattern=r"^\+[1-9][0-9 ]{6,18}$")  # with its international prefix (ITS field 1.9)


class Undertaking(_Strict):
    name: str
    lei: str

    @field_validator("lei")
    @classmethod
    def _lei(cls, lei: str) -> str:
        return check_lei(lei)


class DoraEntity(_Strict):
    """Who the entity is in its DORA major-incident reports (ITS 2025/302 fields 1.2-1.15) and the base of the
    counterparts share (3.7)."""

    entity_type: str = "crypto-asset_service_provider"  # field 1.4, a code of the ITS list
    report_currency: str = "EUR"  # field 1.15: a currency of the Member States
    primary_contact: Contact
    secondary_contact: Contact
    parent_undertaking: Undertaking | None = None  # fields 1.13-1.14, when the entity is part of a group
    financial_counterparts: int = Field(gt=0)  # financial counterparts it has contracts with (3.7's base)

    @field_validator("entity_type")
    @classmethod
    def _its_entity_type(cls, entity_type: str) -> str:
        from pipelines.dora.its import ENTITY_TYPES

        if entity_type not in ENTITY_TYPES:
            raise ValueError(f"{entity_type!r} is not an ITS 2025/302 entity type (field 1.4); expected one of "
                             f"{', '.join(ENTITY_TYPES)}")
        return entity_type

    @field_validator("report_currency")
    @classmethod
    def _its_currency(cls, currency: str) -> str:
        from pipelines.dora.its import REPORT_CURRENCIES

        if currency not in REPORT_CURRENCIES:
            raise ValueError(f"{currency!r}: the DORA reports take one of {', '.join(REPORT_CURRENCIES)} (field 1.15)")
        return currency


class Regulator(_Strict):
    name: str
    short_name: str
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    language: str = Field(pattern=r"^[a-z]{2}$")
    dora: DoraReporting | None = None  # set for the competent authority that receives the DORA incident reports


class Classification(_Strict):
    clients_affected_share: Decimal = Decimal("0.10")
    clients_affected_count: int = 100_000
    transactions_affected_share: Decimal = Decimal("0.10")
    critical_downtime_hours: Decimal = Decimal(2)
    economic_cost_eur: Decimal = Decimal(100_000)
    member_states: int = 2
    criteria_needed: int = 2
    recurring_window_months: int = 6
    recurring_min_count: int = 2
    initial_notification_hours_after_classification: int = 4
    initial_notification_hours_after_detection: int = 24
    intermediate_report_hours_after_initial: int = 72
    final_report_months_after_intermediate: int = 1
    # RTS Art. 5(2): "without undue delay" once regular activities are recovered; the entity's own commitment
    updated_intermediate_hours_after_recovery: int = 24


class Signing(_Strict):
    """The certificate and key that sign the regulator PDF. Paths are relative to the working directory."""

    certificate: str
    private_key: str
    key_password_env: str = ""  # the environment variable holding the key's password, if it has one
    self_signed_demo: bool = False  # make a self-signed pair when missing: demo profiles only


class FundAdequacy(_Strict):
    """The insurance funds' adequacy rule the public report measures each day against: all funds together, in USD
    at each day's close, at or above a floor (the least the entity commits to hold) and a target."""

    floor_usd: Decimal = Field(gt=0)
    target_usd: Decimal = Field(gt=0)

    @model_validator(mode="after")
    def _target_above_floor(self) -> FundAdequacy:
        if self.target_usd < self.floor_usd:
            raise ValueError(f"fund_adequacy: target_usd {self.target_usd} is below floor_usd {self.floor_usd}")
        return self


class Receipts(_Strict):
    """The secret that the compensation receipts' salts are derived from (docs/RECEIPTS.md): it makes each month's
    account commitments, splits and leaf order unguessable, and the same on every run."""

    secret_env: str = "TRANSPARENCY_RECEIPT_SECRET"  # the environment variable holding it (never the secret itself)
    # used when that variable is unset: demo profiles only, since anyone can read it here
    insecure_demo_secret: str = ""

    def secret(self) -> bytes:
        value = os.environ.get(self.secret_env) or self.insecure_demo_secret
        if not value:
            raise ProfileError(f"the environment variable {self.secret_env} (receipts.secret_env in the profile) "
                               "holds the receipts' secret and is not set")
        return value.encode("utf-8")


class Alerts(_Strict):
    """Where operators are told of a failed run or a failed blocking check: e-mail through an SMTP server, and
    optionally a webhook (a JSON POST)."""

    smtp_host: str
    smtp_port: int = Field(default=587, ge=1, le=65535)
    # starttls: plain connection upgraded with STARTTLS (port 587); tls: TLS from the start (port 465); none: no
    # encryption (a relay on localhost only)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password_env: str = ""  # the environment variable holding the SMTP password (never the password itself)
    ca_file: str = ""  # a CA certificate to trust besides the system's (an internal relay's own CA)
    sender: str
    recipients: tuple[str, ...] = Field(min_length=1)
    webhook_url: str = ""
    timeout_seconds: float = Field(default=10, gt=0)


class Profile(_Strict):
    legal_name: str
    lei: str
    report_currency: str = "USD"
    publication_day: int = Field(default=5, ge=1, le=28)
    small_cell_k: int = Field(default=10, ge=1)
    # Where reports/ is served: the Atom feed's links are absolute under it (relative to the feed without it).
    site_url: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
    # The languages of the public pages and PDF, the first at the top of each folder and on the archive page, each
    # other one in a folder of its own (public/de/, reports/de/); each needs a catalog in locales/.
    public_languages: tuple[str, ...] = Field(default=("en",), min_length=1)
    services: tuple[Service, ...] = Field(min_length=1)
    funds: tuple[Fund, ...] = Field(min_length=1)
    regulators: tuple[Regulator, ...] = Field(min_length=1)
    classification: Classification = Classification()
    signing: Signing
    receipts: Receipts = Receipts()
    fund_adequacy: FundAdequacy | None = None
    alerts: Alerts | None = None
    dora: DoraEntity | None = None  # needed to draft the DORA incident reports
    # Status-page components → service codes, for `transparency import statuspage`; "-" marks a component that is
    # not a service (a notice, say) and is left out.
    statuspage_components: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _components_name_services(self) -> Profile:
        unknown = sorted({v for v in self.statuspage_components.values() if v != "-"} - set(self.service_codes))
        if unknown:
            raise ValueError(f"statuspage_components name services the profile does not have: {', '.join(unknown)}")
        return self

    @field_validator("regulators")
    @classmethod
    def _one_competent_authority(cls, regulators: tuple[Regulator, ...]) -> tuple[Regulator, ...]:
        dora = [r.short_name for r in regulators if r.dora]
        if len(dora) > 1:
            raise ValueError(f"regulators: {', '.join(dora)} each have a [dora] section; the DORA incident reports go "
                             "to one competent authority")
        return regulators

    @field_validator("public_languages")
    @classmethod
    def _languages_have_catalogs(cls, public_languages: tuple[str, ...]) -> tuple[str, ...]:
        from pipelines.reports.i18n import languages

        if len(set(public_languages)) < len(public_languages):
            raise ValueError(f"public_languages lists a language twice: {', '.join(public_languages)}")
        missing = [language for language in public_languages if language not in languages()]
        if missing:
            raise ValueError(f"public_languages: no catalog for {', '.join(missing)} in locales/ (there is one for "
                             f"{', '.join(languages())})")
        return public_languages

    @field_validator("lei")
    @classmethod
    def _lei_checksum(cls, lei: str) -> str:
        return check_lei(lei)

    @property
    def dora_authority(self) -> Regulator | None:
        """The competent authority that receives the DORA incident reports: the regulator with a [dora] section."""
        return next((r for r in self.regulators if r.dora), None)

    @property
    def service_codes(self) -> list[str]:
        return [s.code for s in self.services]

    @property
    def fund_codes(self) -> list[str]:
        return [f.code for f in self.funds]

    def codes(self, list_name: str) -> list[str]:
        """The codes of a profile list named by the contract (`services`, `funds`)."""
        return [item.code for item in getattr(self, list_name)]


def default_profile_path() -> str:
    """TRANSPARENCY_PROFILE, else ./profile.toml if it exists, else "" (the demo profile)."""
    if "TRANSPARENCY_PROFILE" in os.environ:
        return os.environ["TRANSPARENCY_PROFILE"]
    return "profile.toml" if Path("profile.toml").is_file() else ""


class ProfileError(Exception):
    pass


def load_profile(path: Path | None = None) -> Profile:
    """Read a profile file; without one, the demo profile shipped in the package."""
    source = path if path is not None else DEMO_PROFILE
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
        return Profile.model_validate(data)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{source}: cannot read the profile: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ProfileError(f"{source}: invalid profile: {problems}") from exc
