"""Small dynamic resources on boto3 for where the pulumi-aws plugin cannot run (offline, air-gapped, the
local emulator): a Private CA and a CA certificate issued by a Private CA parent.

Against real AWS with the plugin available, the hierarchy uses pulumi-aws (`aws.acmpca.CertificateAuthority`,
`aws.acmpca.Certificate`) instead; see `hierarchy.py`.
"""

from typing import Optional

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from pca_import.resources.types import CA_NAME, ISSUED_NAME, TYPE_MODULE, with_legacy_alias

from pca_import.core import clock
from pca_import.aws.client import AccountRole, AwsError, region_of
from pca_import.core.pem import canonical_pem, validity_periods
from pca_import.core.ca_settings import ca_problems, issue_problems
from pca_import.core.spec import AWS_SUBJECT_KEYS, ROOT_TEMPLATE, default_signing_algorithm
from pca_import.resources.ca_import import AwsProvider, _account_problems, _log, is_unknown
from pca_import.core.renewal import end_date_value, issuer_too_short, new_validity, renewal_due

def _known(props: dict, key: str):
    value = props.get(key)
    return None if is_unknown(value) else value


def _failures(problems) -> list:
    """Check failures that name the input in the message; a failure names a property only when its value is
    short (the engine prints a named property's value first)."""
    from pulumi.dynamic import CheckFailure
    return [CheckFailure(field if field in SHORT_INPUTS else "", f"{field}: {message}") for field, message in problems]


SHORT_INPUTS = ("ca_type", "key_algorithm", "template_arn", "signing_algorithm", "validity_days")


def _issuer_key_algorithm(template_arn, csr, issuer_chain) -> str | None:
    """The issuing key's algorithm: the CA's own (its CSR) for a root signing itself, else the issuer's
    certificate's; None when not known yet or unreadable."""
    from cryptography import x509

    from pca_import.core.x509build import key_algorithm_of
    try:
        if template_arn == ROOT_TEMPLATE and isinstance(csr, str):
            return key_algorithm_of(x509.load_pem_x509_csr(csr.encode()).public_key())
        if isinstance(issuer_chain, str) and "BEGIN CERTIFICATE" in issuer_chain:
            return key_algorithm_of(x509.load_pem_x509_certificate(issuer_chain.encode()).public_key())
    except ValueError:
        return None
    return None


class PrivateCaProvider(AwsProvider):
    """CreateCertificateAuthority / DescribeCertificateAuthority / disable + DeleteCertificateAuthority."""

    __module__ = "pca_import.ca_resources"  # the stable pickle path (see pca_import/ca_resources.py)

    def check(self, olds, news):
        """Type, key algorithm and subject, at preview: a mistake is named with its fix, never a traceback at up."""
        problems = ca_problems(*(_known(news, k) for k in ("ca_type", "key_algorithm", "subject")))
        return CheckResult(news, _failures(problems) + _account_problems(news.get("account"), None))

    def diff(self, _id, olds, news):
        keys = ("ca_type", "key_algorithm", "subject")
        replaces = [k for k in keys if olds.get(k) != news.get(k)]
        region = news.get("region")
        if region and region != (region_of(_id) or olds.get("region")):
            replaces.append("region")  # a CA cannot move: a new CA in the new region
        old_acct, new_acct = AccountRole.of(olds.get("account")), AccountRole.of(news.get("account"))
        if (old_acct and old_acct.account) != (new_acct and new_acct.account):
            replaces.append("account")  # nor change accounts
        # Another role into the same account is no change here: an update would make the CA's ARN unknown at
        # preview (the SDK does not pass `stables` on) and so replace its import. The import records the new role
        # (its update reads the CA with it); this resource's refresh and delete keep the role it was created with.
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=False)

    def create(self, props):
        subject = {AWS_SUBJECT_KEYS[k]: v for k, v in (props.get("subject") or {}).items()}
        arn, csr = self._pca(region=props.get("region"), account=props.get("account")).create_ca(
            props["ca_type"], props["key_algorithm"], default_signing_algorithm(props["key_algorithm"]), subject,
            tags=[{"Key": "managed-by", "Value": "pca-import"}])
        return CreateResult(id_=arn, outs={**props, "arn": arn, "csr": csr})

    def read(self, id_, props):
        try:
            ca = self._pca(id_, account=props.get("account")).describe(id_)
        except AwsError as exc:
            if exc.code == "ResourceNotFoundException":
                return ReadResult(id_="", outs={})
            raise
        if ca["status"] == "DELETED":
            return ReadResult(id_="", outs={})
        return ReadResult(id_=id_, outs=props)

    def delete(self, id_, props):
        self._pca(id_, account=props.get("account")).delete_ca(id_)


class PrivateCertificateAuthority(Resource, module=TYPE_MODULE, name=CA_NAME):
    """A Private CA created with boto3. Outputs: arn, csr (its CSR, PEM)."""

    arn: pulumi.Output[str]
    csr: pulumi.Output[str]

    def __init__(self, name: str, *, ca_type: str, key_algorithm: str, subject: dict,
                 region: Optional[str] = None, account: Optional[dict] = None,
                 opts: Optional[pulumi.ResourceOptions] = None):
        """`region`: where to create the CA (None: the stack's `aws:region` / the environment's). `account`:
        `{role_arn, external_id, session_name}` of the CA's account when it is not the stack's own."""
        props = {"ca_type": ca_type, "key_algorithm": key_algorithm, "subject": subject, "arn": None, "csr": None}
        if region:
            props["region"] = region
        if account:
            props["account"] = account
        super().__init__(PrivateCaProvider(), name, props, with_legacy_alias(name, opts))


def _not_after(pem_text: str | None):
    """The first certificate's NotAfter in a PEM text (None when there is none or it cannot be read)."""
    if not isinstance(pem_text, str) or "BEGIN CERTIFICATE" not in pem_text:
        return None
    periods = validity_periods(pem_text)  # from the DER: a preview that decides no renewal loads no cryptography
    if periods:
        return periods[0][1]
    from cryptography import x509
    try:
        return x509.load_pem_x509_certificate(pem_text.encode()).not_valid_after_utc
    except ValueError:
        return None


class IssuedCaCertificateProvider(AwsProvider):
    """IssueCertificate with a CA template, then GetCertificate (waiting until it is issued).

    Renewal: with `renew_before_days` set, an `up` within that many days of the certificate's end issues it
    again from the same CSR (same key) and the same issuer — an update, so the CA's import updates in place.
    The validity asked for is capped at the issuer's `not_after` (read from `issuer_chain`, the issuer's
    complete chain), as AWS refuses anything longer. When the issuer renews, `issuer_chain` changes and this
    certificate's chain follows it in the same `up` (no new issuance unless this one is due too)."""

    __module__ = "pca_import.ca_resources"  # the stable pickle path (see pca_import/ca_resources.py)

    REPLACE_KEYS = ("issuer_arn", "csr", "template_arn", "signing_algorithm", "validity_days")
    CHECKED_KEYS = ("csr", "template_arn", "signing_algorithm", "validity_days", "issuer_chain")

    @staticmethod
    def _label(props) -> str:
        return props.get("ca_name") or props.get("issuer_arn") or "CA"

    def _plan(self, olds: dict, news: dict) -> tuple[bool, str]:
        """(renew now, the sentence saying why or why not) for a certificate already issued."""
        rbd = news.get("renew_before_days")
        if rbd is None or is_unknown(rbd):
            return False, ""
        now = clock.now()
        decision = renewal_due(_not_after(olds.get("certificate")), now, int(rbd))
        if not decision.due:
            return False, decision.reason
        chain = news.get("issuer_chain")
        if is_unknown(chain):  # the issuer renews in this same up: the cap is its new certificate's end
            validity = f"validity {news.get('validity_days')} days, capped at its issuer's new expiry if sooner"
            return True, f"renews: {decision.reason}; {validity}"
        issuer_end = _not_after(chain)
        blocked = issuer_too_short(now, issuer_end, int(rbd))
        if blocked:
            return False, (f"due ({decision.reason}) but not renewed: {blocked}. It renews after its issuer does; "
                           "give the issuer a renewBeforeDays larger than this CA's to renew it first")
        validity = new_validity(now, int(news["validity_days"]), issuer_end)
        return True, f"renews: {decision.reason}; {validity.describe()}"

    def check(self, olds, news):
        if olds and all(not is_unknown(news.get(k)) and type(olds.get(k)) is type(news.get(k))
                        and olds.get(k) == news.get(k) for k in self.CHECKED_KEYS):
            return CheckResult(news, [])  # judged as they are at the last successful apply (no time in these rules)
        issuer_key = _issuer_key_algorithm(_known(news, "template_arn"), _known(news, "csr"),
                                           _known(news, "issuer_chain"))
        problems = issue_problems(_known(news, "template_arn"), _known(news, "signing_algorithm"),
                                  _known(news, "validity_days"), issuer_key)
        if problems:
            return CheckResult(news, _failures(problems))
        chain, days = news.get("issuer_chain"), news.get("validity_days")
        if not olds and isinstance(chain, str) and not is_unknown(chain) and isinstance(days, (int, float)):
            validity = new_validity(clock.now(), int(days), _not_after(chain))
            if validity.capped:  # a new certificate under an existing issuer: the preview says so
                _log(f"{self._label(news)}: {validity.describe()}")
        return CheckResult(news, [])

    def diff(self, _id, olds, news):
        replaces = [k for k in self.REPLACE_KEYS if is_unknown(news.get(k)) or olds.get(k) != news.get(k)]
        changes = list(replaces)
        if not replaces:
            renew, story = self._plan(olds, news)
            if story and (renew or "not renewed" in story):
                _log(f"{self._label(news)}: {story}")
            if renew:
                changes.append("certificate")
            chain = news.get("issuer_chain")
            if is_unknown(chain) or canonical_pem(chain) != canonical_pem(olds.get("issuer_chain")):
                changes.append("issuer_chain")
                if "issuer_chain" in olds or is_unknown(chain):
                    _log(f"{self._label(news)}: its chain follows its issuer's new certificate")
            if news.get("renew_before_days") != olds.get("renew_before_days") or \
                    news.get("ca_name") != olds.get("ca_name"):
                changes.append("renew_before_days")
        return DiffResult(changes=bool(changes), replaces=replaces, delete_before_replace=False)

    def _issue(self, props) -> dict:
        pca = self._pca(props["issuer_arn"], account=props.get("issuer_account"))  # the issuer's region and account
        issuer = props["issuer_arn"]
        now = clock.now()
        validity = new_validity(now, int(props["validity_days"]), _not_after(props.get("issuer_chain")))
        if validity.capped:
            _log(f"{self._label(props)}: {validity.describe()}")
        cert_arn, certificate, chain = pca.issue_ca_certificate(
            issuer, props["csr"], props["template_arn"], props["signing_algorithm"],
            {"Type": "END_DATE", "Value": end_date_value(validity.end)})
        return {**props, "certificate_arn": cert_arn, "certificate": certificate, "certificate_chain": chain}

    def create(self, props):
        outs = self._issue(props)
        return CreateResult(id_=outs["certificate_arn"], outs=outs)

    def update(self, _id, olds, news):
        renew, story = self._plan(olds, news)
        if renew:
            _log(f"{self._label(news)}: {story}")
            return UpdateResult(outs=self._issue(news))
        # not due: keep the certificate; its chain is the issuer's current complete chain
        outs = {**olds, **{k: v for k, v in news.items() if k not in ("certificate", "certificate_chain",
                                                                        "certificate_arn")}}
        if news.get("issuer_chain"):
            outs["certificate_chain"] = news["issuer_chain"]
        return UpdateResult(outs=outs)

    def delete(self, id_, props):
        pass  # an issued certificate cannot be un-issued; it is superseded by the next one


class IssuedCaCertificate(Resource, module=TYPE_MODULE, name=ISSUED_NAME):
    """A CA certificate issued by a Private CA parent (or by a root for itself) from a CA's CSR."""

    certificate: pulumi.Output[str]
    certificate_chain: pulumi.Output[Optional[str]]
    certificate_arn: pulumi.Output[str]

    def __init__(self, name: str, *, issuer_arn, csr, template_arn: str, signing_algorithm: str,
                 validity_days: int, renew_before_days: Optional[int] = None, issuer_chain=None,
                 ca_name: Optional[str] = None, issuer_account: Optional[dict] = None,
                 opts: Optional[pulumi.ResourceOptions] = None):
        """`renew_before_days`: issue again from the same CSR within that many days of the end (None: never
        by itself). `issuer_chain`: the issuer's certificate and chain (PEM), for the validity cap and for
        this certificate's chain to follow the issuer's renewals; None for a root. `issuer_account`: the
        issuer's account role (it issues), when not the stack's own."""
        props = {"issuer_arn": issuer_arn, "csr": csr, "template_arn": template_arn,
                 "signing_algorithm": signing_algorithm, "validity_days": validity_days,
                 "renew_before_days": renew_before_days, "issuer_chain": issuer_chain, "ca_name": ca_name,
                 "certificate": None, "certificate_chain": None, "certificate_arn": None}
        if issuer_account:
            props["issuer_account"] = issuer_account
        super().__init__(IssuedCaCertificateProvider(), name, props, with_legacy_alias(name, opts))
