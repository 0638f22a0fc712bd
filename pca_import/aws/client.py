"""The AWS adapter: everything that talks to AWS Private CA, and the translation of its errors.

Clients are created per process from plain settings (region, profile, endpoint, time budget), never stored
on an object that gets pickled. Two clients per settings:

* reads (Describe, GetCsr, GetCertificate, ListTags, Update, Tag) use botocore's standard retry mode, with
  per-attempt connect/read timeouts chosen so that every attempt together fits the step's time budget;
* ImportCertificateAuthorityCertificate is sent once per decision, on a client with no automatic retry.
  When its reply is lost (connection reset, timeout, a 5xx or a reply that is not AWS's), what the CA
  holds is read back and the outcome reported as it is: "AWS accepted the import: the CA holds it" (a
  success) or "nothing was imported" (an error) — or, when even the read-back fails, that it is unknown.

Every environment problem (boto3 missing, no region, unknown profile, malformed endpoint, missing or
invalid credentials, a reply that is not JSON) is an `AwsError` naming the step and the fix.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from pca_import.core import clock
from pca_import.aws.emulator import DEFAULT_URL
from pca_import.diagnostics import note as _note
from pca_import.errors import ActionableError, AlreadyHoldsAnother, AwsError, ErrorCode, MissingExtra, OwnedByAnother, RulesRejected
from pca_import.core.options import ImportOptions
from pca_import.core.pem import canonical_pem
from pca_import.core.schema import snake
from pca_import.core.spec import ROLE_ARN_PATTERN, account_of  # noqa: F401 (account_of re-exported)
from pca_import.core.spec import FIRST_IMPORT_STATUSES, NO_CERTIFICATE_STATUSES
from pca_import.core.report import Report

__all__ = ["AwsError", "PrivateCa", "Settings", "translate", "ACTIONS", "ADVICE", "OWNER_TAG"]

ACTIONS = {
    "ImportCertificateAuthorityCertificate": "importing the CA certificate",
    "DescribeCertificateAuthority": "describing the CA",
    "GetCertificateAuthorityCsr": "fetching the CA's CSR",
    "GetCertificateAuthorityCertificate": "reading the CA's current certificate",
    "UpdateCertificateAuthority": "changing the CA's status (enabling or disabling it)",
    "ListCertificateAuthorities": "listing the region's CAs",
    # the boto3 hierarchy backend (ca_resources.py)
    "CreateCertificateAuthority": "creating the CA",
    "IssueCertificate": "issuing the CA certificate from its parent",
    "DeleteCertificateAuthority": "deleting the CA",
    "ListTags": "reading the CA's tags (its pca-import:owner)",
    "TagCertificateAuthority": "marking the CA as managed (tag pca-import:owner)",
    "UntagCertificateAuthority": "releasing the CA (removing its pca-import:owner tag)",
}
# The key each read must find in a reply; a 200 without it is not AWS Private CA answering.
EXPECTED_KEY = {"DescribeCertificateAuthority": "CertificateAuthority", "GetCertificateAuthorityCsr": "Csr",
                "GetCertificateAuthorityCertificate": "Certificate"}
# What a person should do about each error the API models for these calls.
ADVICE = {
    "CertificateMismatchException": "the certificate does not fit this CA or its issuer: check it was signed from this "
                                    "CA's current CSR and that the chain is the issuer's, root last "
                                    "(`pca-import validate --csr` names the exact problem)",
    "MalformedCertificateException": "a field of the certificate or chain is invalid: run `pca-import validate` on it",
    "InvalidStateException": "the CA's status does not allow this: PENDING_CERTIFICATE accepts a first import, "
                             "ACTIVE or EXPIRED a renewal (`pca-import status --ca-arn ...`)",
    "InvalidRequestException": "the request is not valid for this CA",
    "InvalidArnException": "the ARN is malformed: it must look like "
                           "arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>",
    "ResourceNotFoundException": "no such CA in this account and region: check the ARN, the region (aws:region / "
                                 "AWS_REGION) and the credentials' account",
    "RequestFailedException": "AWS could not complete the request: retry",
    "ConcurrentModificationException": "another change to this CA is in progress: retry when it has finished",
    "RequestInProgressException": "AWS is still processing the CA (e.g. its CSR): retry in a few seconds",
    "ValidationException": "a value is outside AWS's limits (certificate <= 32 KB, chain <= 2 MB)",
    "TooManyTagsException": "the CA has 50 tags already: remove one so pca-import:owner fits",
    "InvalidTagException": "the tag is not valid for AWS (keys and values: letters, digits, spaces and _.:/=+-@)",
    "AccessDeniedException": "the credentials lack permission for this step: grant the acm-pca action on this CA "
                             "(the README lists them)",
    "UnrecognizedClientException": "the credentials are not valid for this endpoint: check AWS_PROFILE / "
                                   "AWS_ACCESS_KEY_ID, or refresh them (`aws sso login`)",
    "InvalidSignatureException": "the request signature was rejected: check the secret key (AWS_SECRET_ACCESS_KEY "
                                 "or the profile's) and the machine's clock",
    "ExpiredTokenException": "the session credentials have expired: refresh them (`aws sso login`, or assume the "
                             "role again)",
    "InvalidClientTokenId": "the access key is not known to AWS: check AWS_ACCESS_KEY_ID or the profile",
    "ThrottlingException": "AWS throttled the request after retries: run again later",
}
_CREDENTIAL_CODES = ("UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException",
                     "InvalidClientTokenId")
OWNER_TAG = "pca-import:owner"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_ATTEMPTS = 3
TIMEOUT_HELP = "pca-import:awsTimeoutSeconds in the stack config, or PCA_IMPORT_AWS_TIMEOUT"

_CLIENTS: dict = {}
_CLIENTS_LOCK = threading.Lock()
_CSRS: dict[tuple[str | None, str], str] = {}  # (endpoint, CA ARN) -> CSR: a CA's key, and so its CSR, never change


def _number(value, name: str, kind, low, high):
    if value is None or value == "":
        return None
    try:
        n = kind(value)
    except (TypeError, ValueError):
        n = None
    if n is None or n != n or not low <= n <= high:
        raise AwsError(f"pca-import: {name} must be a number from {low} to {high}, not {value!r}", "BadSetting",
                       step="reading the settings")
    return n


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$|^[a-z][a-z0-9-]{1,40}$")


def _check_region(region: str | None, source: str) -> str | None:
    if region is not None and not _REGION.match(region):
        raise AwsError(f"pca-import: {source} is {region!r}, not an AWS region name: use one such as us-east-1 or "
                       "eu-west-1", "BadSetting", step="reading the settings")
    return region


def configured_endpoint(service: str, env=None) -> tuple[str | None, str]:
    """(endpoint URL or None, the variable it came from) for a service as the AWS SDKs read it:
    `AWS_ENDPOINT_URL_<SERVICE>` (e.g. ACM_PCA, STS, KMS), else `AWS_ENDPOINT_URL`; none when
    `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`. The one place pca-import looks an endpoint up."""
    env = os.environ if env is None else env
    own = f"AWS_ENDPOINT_URL_{service}"
    source = own if env.get(own) else "AWS_ENDPOINT_URL"
    if str(env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "")).lower() == "true":
        return None, source
    return env.get(own) or env.get("AWS_ENDPOINT_URL") or None, source


def _check_endpoint(url: str | None, source: str) -> str | None:
    """A malformed endpoint URL named with its variable and the fix (botocore's own message names neither)."""
    if url is None:
        return None
    from urllib.parse import urlsplit
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port out of range or not a number
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise AwsError(f"pca-import: {source} is {url!r}, not an endpoint URL: use http(s)://host[:port] with a port "
                       f"from 1 to 65535 (e.g. {DEFAULT_URL} for the local emulator), or unset it for AWS",
                       "BadSetting", step="reading the settings")
    return url


_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:acm-pca:([a-z0-9-]+):")


ROLE_ARN = re.compile(ROLE_ARN_PATTERN)


@dataclass(frozen=True)
class AccountRole:
    """How to reach a CA's account: a role assumed from the stack's own credentials (STS AssumeRole)."""

    role_arn: str
    external_id: str | None = None
    session_name: str = "pca-import"

    @classmethod
    def of(cls, value: Any) -> "AccountRole | None":
        """From a resource's `account` input ({role_arn, external_id, session_name}); None for the stack's own."""
        if isinstance(value, AccountRole):
            return value
        if not isinstance(value, dict) or not isinstance(value.get("role_arn"), str):
            return None  # absent, or malformed (each resource's check names that problem)
        return cls(role_arn=value["role_arn"], external_id=value.get("external_id") or None,
                   session_name=value.get("session_name") or "pca-import")

    @property
    def account(self) -> str | None:
        return account_of(self.role_arn)


def region_of(arn: str | None) -> str | None:
    """The region an ACM PCA ARN names (`arn:aws:acm-pca:<region>:...`), or None."""
    m = _ARN_REGION.match(arn) if isinstance(arn, str) else None
    return m.group(1) if m else None


@dataclass(frozen=True)
class Settings:
    """How to reach AWS Private CA. `timeout`: seconds one step (one API call with its retries) may take;
    `max_attempts`: attempts per read (the import is always sent once)."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    endpoint_source: str = "AWS_ENDPOINT_URL"
    role: "AccountRole | None" = None  # the CA's account, when it is not the stack's own

    @classmethod
    def from_environment(cls, region: str | None = None, profile: str | None = None, timeout=None,
                         max_attempts=None) -> "Settings":
        """Explicit values (the stack's aws:region, aws:profile, pca-import:awsTimeoutSeconds,
        pca-import:awsMaxAttempts) win over the environment. Raises AwsError for a malformed number."""
        env = os.environ
        endpoint, source = configured_endpoint("ACM_PCA", env)
        t = _number(timeout, "pca-import:awsTimeoutSeconds", float, 1, 3600)
        if t is None:
            t = _number(env.get("PCA_IMPORT_AWS_TIMEOUT"), "PCA_IMPORT_AWS_TIMEOUT", float, 1, 3600)
        a = _number(max_attempts, "pca-import:awsMaxAttempts", int, 1, 10)
        if a is None:
            a = _number(env.get("PCA_IMPORT_AWS_MAX_ATTEMPTS"), "PCA_IMPORT_AWS_MAX_ATTEMPTS", int, 1, 10)
        region_source = ("aws:region" if region else "AWS_REGION" if env.get("AWS_REGION") else "AWS_DEFAULT_REGION")
        return cls(region=_check_region(region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
                                        region_source),
                   profile=profile or env.get("AWS_PROFILE") or None,
                   endpoint_url=_check_endpoint(endpoint, source),
                   timeout=t or DEFAULT_TIMEOUT, max_attempts=a or DEFAULT_MAX_ATTEMPTS, endpoint_source=source)

    @classmethod
    def from_stack_config(cls, get) -> "Settings":
        """From a stack's config (`get(key)`, e.g. the provider's `req.config.get`, or in a program
        `lambda k: pulumi.Config(k.split(':')[0]).get(k.split(':')[1])`), then the environment."""
        return cls.from_environment(region=get("aws:region"), profile=get("aws:profile"),
                                    timeout=get("pca-import:awsTimeoutSeconds"),
                                    max_attempts=get("pca-import:awsMaxAttempts"))

    def read_attempts(self) -> int:
        """Attempts per read: `max_attempts`, fewer if their worst backoff would take over half the budget."""
        n = self.max_attempts
        while n > 1 and _backoff_reserve(n) > self.timeout / 2:
            n -= 1
        return n

    def timeouts(self, write: bool) -> tuple[float, float]:
        """(connect, read) seconds per attempt, so that all attempts of a read with their backoff, or the
        import's one attempt, fit in `timeout`."""
        if write:
            per_attempt = self.timeout
        else:
            n = self.read_attempts()
            per_attempt = (self.timeout - _backoff_reserve(n)) / n
        connect = min(5.0, per_attempt / 2)
        return connect, per_attempt - connect


def _backoff_reserve(attempts: int) -> float:
    """The longest botocore's standard mode waits between `attempts` attempts (throttling: 1 s, 2 s, 4 s ...)."""
    return float(sum(min(2 ** i, 20) for i in range(attempts - 1)))


class _BadReply(Exception):
    """A 200 reply without the fields AWS always sends: something else answered."""


def _environment_error(exc: Exception, settings: Settings | None, arn: str, step: str) -> AwsError | None:
    """Problems of the machine's AWS set-up rather than of the call, with the fix."""
    from botocore import exceptions as be
    where = f"AWS Private CA {arn}: {step}: " if arn else f"AWS Private CA: {step}: "
    if isinstance(exc, be.NoRegionError):
        return AwsError(where + "no AWS region — set aws:region in the stack config "
                        "(`pulumi config set aws:region us-east-1`) or AWS_REGION", "NoRegion", step=step)
    if isinstance(exc, be.ProfileNotFound):
        return AwsError(where + f"the AWS profile {settings.profile if settings else ''!r} is not in ~/.aws/config or "
                        "~/.aws/credentials — fix AWS_PROFILE / aws:profile (`aws configure list-profiles` "
                        "lists the profiles)", "ProfileNotFound", step=step)
    if isinstance(exc, (be.NoCredentialsError, be.PartialCredentialsError)):
        return AwsError(where + "no usable AWS credentials — set AWS_PROFILE (or aws:profile), environment "
                        "credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), SSO or an instance role",
                        "NoCredentials", step=step)
    if isinstance(exc, (be.SSOError, be.TokenRetrievalError, be.CredentialRetrievalError)):
        return AwsError(where + f"the AWS credentials could not be obtained ({exc}) — run `aws sso login"
                        f"{' --profile ' + settings.profile if settings and settings.profile else ''}` or fix "
                        "the profile's credential_process/role", "NoCredentials", step=step)
    if isinstance(exc, (be.ConfigParseError, be.InvalidConfigError)):
        return AwsError(where + f"the AWS configuration is not valid ({exc}) — fix ~/.aws/config", "BadConfig",
                        step=step)
    if isinstance(exc, ValueError) and "endpoint" in str(exc).lower():
        source = settings.endpoint_source if settings else "AWS_ENDPOINT_URL"
        return AwsError(where + f"{source}={settings.endpoint_url if settings else ''!r} is not a valid URL — use "
                        f"e.g. {DEFAULT_URL} for the emulator, or unset it for AWS", "InvalidEndpoint",
                        step=step)
    return None


def translate(exc: Exception, arn: str, action: str, settings: Settings | None = None,
              elapsed: float | None = None) -> AwsError:
    """A botocore (or environment) error as a message naming the CA, the step and the fix."""
    if isinstance(exc, AwsError):
        return exc
    step = ACTIONS.get(action, action)
    env = _environment_error(exc, settings, arn, step)
    if env is not None:
        return env
    from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError
    from botocore.exceptions import ConnectionError as ConnectionError_
    where = f"AWS Private CA {arn}: {step}" if arn else f"AWS Private CA: {step}"
    budget = (f" (budget {settings.timeout:g} s for up to {1 if action.startswith('Import') else settings.read_attempts()}"
              f" attempt(s); raise it with {TIMEOUT_HELP})") if settings else ""
    took = f" after {elapsed:.1f} s" if elapsed is not None else ""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        detail = exc.response.get("Error", {}).get("Message", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        advice = ADVICE.get(code)
        if advice is None and status and status >= 500:
            advice = "AWS (or whatever answers at the endpoint) failed: retry later" + budget
        if advice is None and not re.fullmatch(r"[A-Za-z]+(Exception|Error|Fault)?", code or ""):
            advice = ("the endpoint did not answer like AWS Private CA: check "
                      f"{settings.endpoint_source if settings else 'AWS_ENDPOINT_URL'} and any proxy in between")
        code_tag = "InvalidCredentials" if code in _CREDENTIAL_CODES else code
        return AwsError(f"{where} failed with {code} ({detail}) — {advice or 'see the AWS message'}", code_tag,
                        step=step, server_error=bool(status and status >= 500))
    if isinstance(exc, _BadReply):
        source = settings.endpoint_source if settings else "AWS_ENDPOINT_URL"
        return AwsError(f"{where}: the endpoint{' ' + settings.endpoint_url if settings and settings.endpoint_url else ''}"
                        f" answered with a reply that is not AWS Private CA's ({exc}) — check {source}, any proxy in "
                        "between, and that the endpoint is AWS Private CA", "BadReply", step=step)
    endpoint = f" {settings.endpoint_url}" if settings and settings.endpoint_url else ""
    if isinstance(exc, ReadTimeoutError):  # the request went out; no answer came back in time
        return AwsError(f"{where} gave up{took}: no answer in time ({exc}){budget} — check the network, the "
                        f"endpoint{endpoint} and any proxy", "Timeout", step=step)
    if isinstance(exc, ConnectionError_):  # no connection was made: the request never went out
        return AwsError(f"{where} gave up{took}: could not connect ({exc}){budget} — check the network and the "
                        f"endpoint{endpoint}", "Unreachable", step=step)
    if isinstance(exc, BotoCoreError):  # e.g. the connection closed after the request was sent
        return AwsError(f"{where} failed{took}: {exc}{budget} — check the network, the endpoint{endpoint} and any "
                        "proxy", "ConnectionLost", step=step)
    return AwsError(f"{where} failed{took}: {type(exc).__name__}: {exc}", type(exc).__name__, step=step)


def _cert_facts(pem: str) -> dict[str, str]:
    from cryptography import x509

    from pca_import.core.facts import certificate_facts
    return certificate_facts(x509.load_pem_x509_certificate(pem.encode()))


def owner_refusal(arn: str, owner: str, me: str | None, how_to_override: str) -> OwnedByAnother:
    """The CA is marked as managed by `owner`, not by `me`."""
    return OwnedByAnother(
        f"AWS Private CA {arn} is managed by {owner} (its {OWNER_TAG} tag){', not by ' + me if me else ''}: two "
        "writers would overwrite each other's certificate, and each would still report success. "
        f"{how_to_override}", owner)


def check_owner(arn: str, current: str | None, me: str | None, *, adopt: str | None = None,
                previous: str | None = None, force: bool = False, advice=None) -> None:
    """Refuse a CA whose pca-import:owner tag is `current`, unless that is `me`, the owner `adopt` names, the
    owner this same resource wrote before a rename (`previous`), or `force`."""
    ours = {tag_value(o) for o in (me, adopt, previous) if o}
    if current and current not in ours and not force:
        raise owner_refusal(arn, current, tag_value(me) if me else None, (advice or pulumi_override_hint)(current))


def pulumi_override_hint(owner: str) -> str:
    return (f"To move it here, remove it from {owner} first (deleting that resource, even with "
            f"on_delete: retain, releases the tag), or take it over explicitly with adopt_owned_by='{owner}' on "
            "this resource.")


@dataclass
class CaView:
    """What pca-import read about a CA before deciding: describe, CSR, held certificate, owner tag."""

    ca: dict[str, Any]
    report: Report
    held: tuple[str | None, str | None] = (None, None)
    owner: str | None = None


class PrivateCa:
    """AWS Private CA operations pca-import needs. Holds only plain settings (picklable, no clients)."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_environment()

    @classmethod
    def from_environment(cls, region: str | None = None, profile: str | None = None) -> "PrivateCa":
        return cls(Settings.from_environment(region, profile))

    def in_region(self, region: str | None) -> "PrivateCa":
        """The same settings in `region` (a CA's own region); these settings when None."""
        if not region or region == self.settings.region:
            return self
        return PrivateCa(dataclasses.replace(self.settings, region=_check_region(region, "the CA's region")))

    def as_role(self, role: "AccountRole | dict | None") -> "PrivateCa":
        """The same settings in another account: every call made with `role`'s credentials (None: the stack's)."""
        role = AccountRole.of(role)
        if role == self.settings.role:
            return self
        return PrivateCa(dataclasses.replace(self.settings, role=role))

    def for_arn(self, arn: str | None) -> "PrivateCa":
        """Every call for a CA is made in its region: the one its ARN names. With no region set up at all, the
        settings stay as they are, so the missing set-up is still reported as such (with its fix)."""
        if self.settings.region is None:
            return self
        return self.in_region(region_of(arn))

    # ---- clients --------------------------------------------------------------------------------

    def client(self, write: bool = False, arn: str = ""):
        """An acm-pca client for these settings, shared in this process (boto3 clients are thread-safe).

        `write=False`: standard retries, bounded by the time budget. `write=True`: no automatic retry (for
        the import). Creating one costs ~50-100 ms; the cache is module state, so nothing is pickled."""
        s = self.settings
        key = (s, write)
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(key)
        if client is None:  # made outside the lock: an AssumeRole may take seconds, other CAs' calls go on
            client = self._new_client(write, arn)
            with _CLIENTS_LOCK:
                client = _CLIENTS.setdefault(key, client)
        return client

    def _new_client(self, write: bool, arn: str):
        s = self.settings
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:
            raise MissingExtra("aws", exc.name or "boto3", "talking to AWS Private CA") from None
        connect, read = s.timeouts(write)
        retries = {"total_max_attempts": 1} if write else {"mode": "standard", "total_max_attempts": s.read_attempts()}
        try:
            session = boto3.session.Session(profile_name=s.profile, region_name=s.region)
        except Exception as exc:
            raise translate(exc, arn, "creating an AWS client", s) from None
        if s.role is not None:
            session = self._assumed(session, s.role, arn)
        try:
            return session.client("acm-pca", endpoint_url=s.endpoint_url,
                                  config=Config(retries=retries, connect_timeout=connect, read_timeout=read))
        except Exception as exc:
            raise translate(exc, arn, "creating an AWS client", s) from None

    def _assumed(self, session, role: AccountRole, arn: str):
        """A session with `role`'s credentials, assumed from the stack's own and refreshed by botocore before they
        expire (the first AssumeRole happens here, so a role that cannot be assumed is reported at once)."""
        import boto3
        import botocore.session
        from botocore.config import Config
        from botocore.credentials import RefreshableCredentials
        s = self.settings
        connect, read = s.timeouts(False)
        kwargs: dict[str, Any] = {"RoleArn": role.role_arn, "RoleSessionName": role.session_name}
        if role.external_id:
            kwargs["ExternalId"] = role.external_id
        sts = session.client("sts", endpoint_url=configured_endpoint("STS")[0],
                             config=Config(retries={"mode": "standard", "total_max_attempts": s.read_attempts()},
                                           connect_timeout=connect, read_timeout=read))

        def assume() -> dict[str, Any]:
            start = time.monotonic()
            try:
                creds = sts.assume_role(**kwargs)["Credentials"]
            except Exception as exc:
                from botocore.exceptions import ClientError
                err = translate(exc, arn, "AssumeRole", s, time.monotonic() - start)
                if not isinstance(exc, ClientError):  # the network or the set-up, reported as for any call
                    raise err from None
                detail = exc.response.get("Error", {}).get("Message", "")
                raise AwsError(f"AWS Private CA {arn or '(new CA)'}: cannot assume {role.role_arn} ({err.code}: "
                               f"{detail}): the CA's account is reached through this role — check that the role "
                               "exists, that its trust policy lets the stack's credentials assume it"
                               + (" with this externalId" if role.external_id else "")
                               + ", and that they may call sts:AssumeRole; or fix `account.roleArn` of the CA",
                               ErrorCode.ASSUME_ROLE, step="assuming the CA account's role") from None
            return {"access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
                    "token": creds["SessionToken"], "expiry_time": creds["Expiration"].isoformat()}

        credentials = RefreshableCredentials.create_from_metadata(metadata=assume(), refresh_using=assume,
                                                                  method="sts-assume-role")
        core = botocore.session.get_session()
        core._credentials = credentials  # botocore has no public setter; boto3 assume-role code does the same
        return boto3.session.Session(botocore_session=core, region_name=s.region)

    def _call(self, client, action: str, arn: str, **kwargs) -> dict:
        """One API call (with the client's retries), its errors as AwsError naming the step."""
        method = getattr(client, snake(action))
        start = time.monotonic()
        try:
            reply = method(CertificateAuthorityArn=arn, **kwargs)
            # Every AWS reply carries a request id, and each read its result: anything else is not AWS answering
            # (a captive portal, a proxy's error page, a wrong endpoint).
            key = EXPECTED_KEY.get(action)
            meta = reply.get("ResponseMetadata", {})
            headers = meta.get("HTTPHeaders", {})
            if "x-amzn-requestid" not in headers or (key is not None and key not in reply):
                raise _BadReply(f"HTTP {meta.get('HTTPStatusCode')}, {headers.get('content-type', 'no content type')}"
                                f", {'no ' + key if key and key not in reply else 'no x-amzn-RequestId header'}")
            return reply
        except Exception as exc:  # botocore and environment errors become actionable messages
            raise translate(exc, arn, action, self.settings, time.monotonic() - start) from None

    # ---- reads -------------------------------------------------------------------------------------

    def describe(self, arn: str, client=None) -> dict[str, Any]:
        client = client or self.client(arn=arn)
        ca = self._call(client, "DescribeCertificateAuthority", arn)["CertificateAuthority"]
        cfg = ca.get("CertificateAuthorityConfiguration", {})
        return {"arn": arn, "type": ca.get("Type"), "status": ca.get("Status"),
                "key_algorithm": cfg.get("KeyAlgorithm")}

    def csr(self, arn: str, client=None) -> str:
        """The CA's CSR (PEM). Cached per CA in this process: a CA's key, and so its CSR, never change."""
        key = (self.settings.endpoint_url, arn)
        if key not in _CSRS:
            _CSRS[key] = self._call(client or self.client(arn=arn), "GetCertificateAuthorityCsr", arn)["Csr"]
        return _CSRS[key]

    def current(self, arn: str, status: str, client=None) -> tuple[str | None, str | None]:
        """The canonical certificate and chain the CA holds now, or (None, None) before its first import."""
        if status in NO_CERTIFICATE_STATUSES:
            return None, None
        got = self._call(client or self.client(arn=arn), "GetCertificateAuthorityCertificate", arn)
        return canonical_pem(got.get("Certificate")), canonical_pem(got.get("CertificateChain"))

    def owner(self, arn: str, client=None) -> str | None:
        """The CA's pca-import:owner tag, or None."""
        tags = self._call(client or self.client(arn=arn), "ListTags", arn).get("Tags") or []
        return next((t.get("Value") for t in tags if t.get("Key") == OWNER_TAG), None)

    def live(self, arn: str, with_owner: bool = False) -> dict[str, Any] | None:
        """What the CA holds now (for refresh), or None when the CA is gone (deleted or not found).

        `with_owner`: also its pca-import:owner tag as `owner_tag` (one ListTags call), so a refresh sees the
        tag removed or changed."""
        client = self.client(arn=arn)
        try:
            ca = self.describe(arn, client)
        except AwsError as exc:
            if exc.code == "ResourceNotFoundException":
                return None
            raise
        if ca["status"] == "DELETED":
            return None
        cert, chain = self.current(arn, ca["status"], client)
        out = {"status": ca["status"], "ca_type": ca["type"], "key_algorithm": ca["key_algorithm"],
               "certificate": cert, "certificate_chain": chain}
        if cert:
            out.update(_cert_facts(cert))
        if with_owner:
            out["owner_tag"] = self.owner(arn, client)
        return out

    def set_status(self, arn: str, wanted: str, *, owner: str | None = None, adopt: str | None = None,
                   previous: str | None = None, current: str | None = None) -> str:
        """Bring the CA to `wanted` (ACTIVE or DISABLED) with one UpdateCertificateAuthority, after checking its
        owner tag as an import does; no call when it is already there. Returns the status it is in now.
        `current`: the status and owner were just read and checked (right after an import): no reads again.

        An EXPIRED CA cannot be made ACTIVE (only a renewed certificate does that) and a CA without a certificate
        cannot change status: both are refused with the fix."""
        client = self.client(arn=arn)
        status = current or self.describe(arn, client)["status"]
        if status == wanted:
            return status
        if status not in ("ACTIVE", "DISABLED"):
            if status == "EXPIRED":
                why = ("its certificate has expired: AWS cannot make it ACTIVE again with that certificate. Import a "
                       "renewed certificate (same CSR, new validity) — a renewal makes it ACTIVE")
            else:
                why = f"a CA in status {status} cannot be made {wanted} (AWS changes only ACTIVE <-> DISABLED)"
            raise AwsError(f"AWS Private CA {arn} is {status}, declared {wanted}: {why}", ErrorCode.INVALID_STATE,
                           step=ACTIONS["UpdateCertificateAuthority"])
        if current is None:
            check_owner(arn, self.owner(arn, client), owner, adopt=adopt, previous=previous)
        self._call(client, "UpdateCertificateAuthority", arn, Status=wanted)
        _note(f"{arn}: was {status}, declared {wanted}: set to {wanted}")
        return wanted

    def status(self, arn: str) -> dict[str, Any]:
        """For `pca-import status`: the CA, what it holds, days left and its owner."""
        live = self.live(arn)
        if live is None:
            raise AwsError(f"AWS Private CA {arn}: the CA is deleted or does not exist", "ResourceNotFoundException")
        out = {"arn": arn, "type": live["ca_type"], **live}
        if live.get("not_after"):
            left = dt.datetime.fromisoformat(live["not_after"]) - clock.now()
            out["days_left"] = left.days
        try:
            out["owner"] = self.owner(arn)
        except AwsError as exc:  # a read-only role without acm-pca:ListTags still gets the status
            if exc.code != "AccessDeniedException":
                raise
            out["owner"] = "(unknown: no acm-pca:ListTags permission)"
        return out

    # ---- the import --------------------------------------------------------------------------------

    def preflight(self, arn: str, certificate, chain, *, options: ImportOptions = ImportOptions(),
                  fetch_held: bool = True, fetch_owner: bool = True, chain_known: bool = True, client=None) -> CaView:
        """Describe the CA, read its owner tag, fetch its CSR (cached) and, unless `fetch_held` is False, what
        it holds now; run every rule with them."""
        client = client or self.client(arn=arn)
        ca = self.describe(arn, client)
        owner = self.owner(arn, client) if fetch_owner else None
        csr = None
        if ca["status"] == "PENDING_CERTIFICATE" or ca["status"] not in NO_CERTIFICATE_STATUSES:  # it has a CSR
            csr = self.csr(arn, client)
        held = self.current(arn, ca["status"], client) if fetch_held else (None, None)
        from pca_import.core.validate import validate_import  # the rule engine loads cryptography: only when it runs
        report = validate_import(certificate, chain, csr=csr, ca_type=ca["type"], ca_status=ca["status"],
                                 profile=options.rule_profile, expiry_warning_days=options.expiry_warning_days,
                                 chain_known=chain_known)
        return CaView(ca, report, held, owner)

    def import_certificate(self, arn: str, certificate, chain=None, *, options: ImportOptions = ImportOptions(),
                           owner: str | None = None, previous_owner: str | None = None,
                           replace_held: bool = False, force: bool = False,
                           held_advice: str | None = None, owner_advice=pulumi_override_hint) -> dict[str, Any]:
        """Validate against the live CA, import (unless it already holds exactly this) once, mark the owner.

        `owner` (e.g. `project/stack/resource`) is written to the CA's pca-import:owner tag; a CA marked with
        another owner is refused unless it is `options.adopt_owned_by`, `previous_owner` (this same resource before
        a rename: its state remembers the owner it wrote) or `force`. `replace_held` False
        (a create): a CA holding a *different* certificate is refused with `held_advice`; True (renewal):
        it is replaced in place.
        """
        owner = tag_value(owner) if owner else None
        client = self.client(arn=arn)
        view = self.preflight(arn, certificate, chain, options=options, client=client)
        ca, report, (held_cert, held_chain) = view.ca, view.report, view.held
        check_owner(arn, view.owner, owner, adopt=options.adopt_owned_by, previous=previous_owner, force=force,
                    advice=owner_advice)
        if not report.ok:
            raise RulesRejected(f"AWS Private CA {arn}: the certificate is not importable into this {ca['type']} CA "
                                f"({ca['status']}); nothing was sent:\n" + report.to_text(), report)
        imported = False
        if held_cert is not None and held_cert == report.certificate and (held_chain or None) == report.certificate_chain:
            pass  # already holds exactly this: a retried apply or an adopted CA — no call
        elif held_cert is not None and not replace_held:
            f = _cert_facts(held_cert)
            raise AlreadyHoldsAnother(
                f"AWS Private CA {arn} already holds a different CA certificate ({f['subject']}, serial {f['serial']}, "
                f"expires {f['not_after']}). " + (held_advice or (
                    "To adopt this CA, set `certificate` (and `certificate_chain`) to what it holds — "
                    f"`pca-import status --ca-arn {arn} --json` or `aws acm-pca get-certificate-authority-certificate` "
                    "prints it — and run `pulumi up`; then change `certificate` to renew in place.")))
        else:
            self._import_once(arn, report, held_cert)
            imported = True
        status = ca["status"]
        if imported:
            status = self._status_after_import(arn, ca["status"], report, client)
        if owner and view.owner != owner:
            self._mark_owner(arn, owner, imported, report, client)
        cert, chain_out = (report.certificate, report.certificate_chain) if imported else (held_cert, held_chain)
        out = {"imported": imported, "status": status, "ca_type": ca["type"], "key_algorithm": ca["key_algorithm"],
               "certificate": cert, "certificate_chain": chain_out, "owner": owner or view.owner,
               "warnings": [f.to_text() for f in report.warnings]}
        out.update(_cert_facts(cert))
        return out

    def _import_once(self, arn: str, report: Report, held_before: str | None) -> None:
        """ImportCertificateAuthorityCertificate, sent once. A lost reply is settled by reading the CA back."""
        kwargs = {"Certificate": report.certificate.encode()}
        if report.certificate_chain:
            kwargs["CertificateChain"] = report.certificate_chain.encode()
        try:
            self._call(self.client(write=True, arn=arn), "ImportCertificateAuthorityCertificate", arn, **kwargs)
            return
        except AwsError as exc:
            if not exc.is_ambiguous:  # AWS answered and refused, or no connection was made: nothing was imported
                raise AwsError(f"{exc} — nothing was imported", exc.code, step=exc.step, imported=False) from None
            lost = exc
        # The reply was lost: the import may or may not have happened. Read what the CA holds.
        what = str(lost).removeprefix(f"AWS Private CA {arn}: ")
        step = "reading the CA back after the import's reply was lost"
        try:
            ca = self.describe(arn)
            cert, chain = self.current(arn, ca["status"])
        except AwsError as exc:
            raise AwsError(f"AWS Private CA {arn}: {what}. Then {step} failed too: "
                           f"{str(exc).removeprefix(f'AWS Private CA {arn}: ')}. Whether the CA holds the certificate "
                           f"is not known: run `pca-import status --ca-arn {arn}` when AWS answers again, then run "
                           "again (a run that finds the certificate held records it without importing)",
                           "ImportUnknown", step=step, imported=None) from None
        # The certificate decides (AWS may store the chain in its own form); the chain only when the CA held this
        # same certificate before, i.e. when only the chain was being replaced.
        if cert == report.certificate and (cert != held_before or (chain or None) == report.certificate_chain):
            _note(f"{arn}: the import's reply was lost ({lost.code}); AWS accepted the import: the CA holds it")
            return
        now_holds = "no certificate" if cert is None else (
            "the certificate it held before" if cert == held_before else "another certificate")
        raise AwsError(f"AWS Private CA {arn}: {what}. Reading the CA back shows nothing was imported: it holds "
                       f"{now_holds} (status {ca['status']}). Run again when the endpoint answers reliably.",
                       lost.code, step=lost.step, imported=False)

    def _status_after_import(self, arn: str, before: str, report: Report, client) -> str:
        """A first import makes a PENDING_CERTIFICATE CA ACTIVE (AWS documents it): no read needed. After a
        renewal, read the status back; if that read fails, say the import happened."""
        if before in FIRST_IMPORT_STATUSES:
            return "ACTIVE"
        try:
            return self.describe(arn, client)["status"]
        except AwsError as exc:
            raise AwsError(f"AWS accepted the import: the CA holds it ({_summary(report)}). But {exc.step} "
                           f"afterwards failed: {exc} — run again (a run that finds the certificate held records it "
                           "without importing)", exc.code, step=exc.step, imported=True) from None

    def _mark_owner(self, arn: str, owner: str, imported: bool, report: Report, client) -> None:
        try:
            self._call(client, "TagCertificateAuthority", arn, Tags=[{"Key": OWNER_TAG, "Value": owner}])
        except AwsError as exc:
            if not imported:
                raise
            raise AwsError(f"AWS accepted the import: the CA holds it ({_summary(report)}). But {exc.step} "
                           f"failed: {exc} — run again (a run that finds the certificate held "
                           "records it without importing, and marks the CA)", exc.code, step=exc.step,
                           imported=True) from None

    def release(self, arn: str, owner: str) -> str:
        """Remove the pca-import:owner tag when it names `owner`. Returns what happened."""
        client = self.client(arn=arn)
        try:
            current = self.owner(arn, client)
        except AwsError as exc:
            if exc.code in ("ResourceNotFoundException", "InvalidStateException"):
                return "gone"
            raise
        if current != tag_value(owner):
            return "not ours" if current else "untagged"
        self._call(client, "UntagCertificateAuthority", arn, Tags=[{"Key": OWNER_TAG, "Value": current}])
        return "released"

    # ---- the boto3 hierarchy backend's CA lifecycle (ca_resources.py) ------------------------------

    def create_ca(self, ca_type: str, key_algorithm: str, signing_algorithm: str, subject: dict[str, str],
                  tags: list[dict[str, str]]) -> tuple[str, str]:
        """CreateCertificateAuthority, wait for its CSR, return (ARN, CSR). An idempotency token makes botocore's
        retry of a lost reply the same request, so a retried create never makes a second CA."""
        client, what = self.client(), f"(new {ca_type} CA)"
        try:
            arn = client.create_certificate_authority(
                CertificateAuthorityConfiguration={"KeyAlgorithm": key_algorithm, "SigningAlgorithm": signing_algorithm,
                                                   "Subject": subject},
                CertificateAuthorityType=ca_type, Tags=tags,
                IdempotencyToken=uuid.uuid4().hex)["CertificateAuthorityArn"]
            client.get_waiter("certificate_authority_csr_created").wait(
                CertificateAuthorityArn=arn, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            csr = client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
        except Exception as exc:  # noqa: BLE001 - an ActionableError naming the step and the fix
            raise translate(exc, what, "CreateCertificateAuthority", self.settings) from None
        return arn, csr

    def issue_ca_certificate(self, issuer_arn: str, csr: str, template_arn: str, signing_algorithm: str,
                             validity: dict[str, Any]) -> tuple[str, str, str | None]:
        """IssueCertificate from a CA template and wait for it: (certificate ARN, certificate, chain)."""
        client = self.client()
        try:
            cert_arn = client.issue_certificate(
                CertificateAuthorityArn=issuer_arn, Csr=csr.encode(), TemplateArn=template_arn,
                SigningAlgorithm=signing_algorithm, Validity=validity,
                IdempotencyToken=uuid.uuid4().hex)["CertificateArn"]
            client.get_waiter("certificate_issued").wait(CertificateAuthorityArn=issuer_arn, CertificateArn=cert_arn,
                                                         WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            got = client.get_certificate(CertificateAuthorityArn=issuer_arn, CertificateArn=cert_arn)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, issuer_arn, "IssueCertificate", self.settings) from None
        return cert_arn, got["Certificate"], got.get("CertificateChain")

    def delete_ca(self, arn: str) -> None:
        """Disable (when ACTIVE) and delete the CA with the shortest restoration window; a CA gone is fine."""
        try:
            if self.disable(arn) == "gone":
                return
            client = self.client()
            if self.describe(arn, client)["status"] != "DELETED":
                client.delete_certificate_authority(CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=7)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, arn, "DeleteCertificateAuthority", self.settings) from None

    def disable(self, arn: str) -> str:
        """Disable the CA (on_delete=disable). Returns what happened; a CA already gone is not an error."""
        client = self.client(arn=arn)
        try:
            ca = self.describe(arn, client)
        except AwsError as exc:
            if exc.code == "ResourceNotFoundException":
                return "gone"
            raise
        if ca["status"] in ("DELETED", "DISABLED"):
            return ca["status"].lower()
        if ca["status"] != "ACTIVE":
            return f"left {ca['status']}"
        self._call(client, "UpdateCertificateAuthority", arn, Status="DISABLED")
        return "disabled"

    # ---- the region's CAs (for `pca-import tree --from-aws`) --------------------------------------

    def list_cas(self) -> list[dict[str, Any]]:
        """Every CA in the region with the certificate it holds (None before its first import)."""
        client = self.client()
        out = []
        try:
            pages = client.get_paginator("list_certificate_authorities").paginate()
            listed = [ca for page in pages for ca in page.get("CertificateAuthorities", [])]
        except Exception as exc:  # noqa: BLE001 - translated for the user
            raise translate(exc, "(all CAs in the region)", "ListCertificateAuthorities", self.settings) from None
        for ca in listed:
            arn, status = ca["Arn"], ca.get("Status")
            cfg = ca.get("CertificateAuthorityConfiguration", {})
            cert, _chain = self.current(arn, status, client)
            out.append({"arn": arn, "type": ca.get("Type"), "status": status, "key_algorithm": cfg.get("KeyAlgorithm"),
                        "name": (cfg.get("Subject") or {}).get("CommonName"), "certificate": cert})
        return out

def tag_value(owner: str) -> str:
    """`owner` as a valid AWS tag value (letters, digits, spaces and _.:/=+-@; at most 256 characters)."""
    return re.sub(r"[^\w .:/=+\-@]", "_", owner)[:256]



def _summary(report: Report | None) -> str:
    if report is None or not report.certificate:
        return ""
    f = _cert_facts(report.certificate)
    return f"{f['subject']}, serial {f['serial']}"




__all__ += ["ActionableError", "CaView", "tag_value", "check_owner"]
