"""Every rule has a failing and a passing vector; multi-violation inputs report every violation."""
from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, ObjectIdentifier

from certfactory import NOW, ca, chain, csr_for, openssl_sha1_chain, private_key_pem, with_unknown_signature_algorithm
from pca_import import catalogue, validate_import
from pca_import.core.rules import registry

ROOT = ca("Ext Root")
INTER = ca("Ext Intermediate", ROOT, path_length=1)
SUB = ca("Partner CA", INTER, path_length=0)
GOOD_SUB = dict(certificate=SUB.pem, chain=chain(INTER, ROOT))
GOOD_ROOT = dict(certificate=ROOT.pem)


def _padding(n: int):
    return (x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x04" + b"x" * n), False)


def _deep(levels: int) -> dict:
    cas = [ca("L0")]
    for i in range(1, levels):
        cas.append(ca(f"L{i}", cas[-1]))
    return dict(certificate=cas[-1].pem, chain=chain(*reversed(cas[:-1])))


def _aia_critical():
    aia = x509.AuthorityInformationAccess([x509.AccessDescription(
        AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier("http://example.test/ca.crt"))])
    return dict(certificate=ca("AIA CA", INTER, extra_extensions=[(aia, True)]).pem, chain=chain(INTER, ROOT))


def _nc_critical():
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.test")], excluded_subtrees=None)
    return dict(certificate=ca("NC CA", INTER, extra_extensions=[(nc, True)]).pem, chain=chain(INTER, ROOT))


def _sub_with(**kw):
    return dict(certificate=ca("Variant CA", INTER, key_tag="variant", **kw).pem, chain=chain(INTER, ROOT))


def _name_variant():
    # the subordinate names its issuer in upper case: equal under RFC 5280 7.1, not byte for byte
    from pca_import.core.x509build import build_certificate, name
    k = ca("Variant Name CA", INTER).key
    cert = build_certificate(k.public_key(), name("Variant Name CA"), name("EXT INTERMEDIATE"), INTER.key)
    from pca_import.core.x509build import pem
    return dict(certificate=pem(cert), chain=chain(INTER, ROOT))


def _nc(permitted=None, excluded=None):
    nc = x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=excluded)
    top = ca("NC Root", extra_extensions=[(nc, True)])
    return dict(certificate=ca("NC Sub", top).pem, chain=top.pem)


def _nc_registered_id():
    nc = x509.NameConstraints(permitted_subtrees=[x509.RegisteredID(ObjectIdentifier("1.2.3.4"))],
                              excluded_subtrees=None)
    return dict(certificate=ca("RID Root", extra_extensions=[(nc, True)]).pem)


def _sha1():
    root_pem, sub_pem = openssl_sha1_chain()
    return dict(certificate=sub_pem, chain=root_pem)


def _big_chain():
    big = ca("Big Inter", ROOT, extra_extensions=[_padding(40000)])
    return dict(certificate=ca("Under Big", big).pem, chain=big.pem * 54 + ROOT.pem)


def _root_with_key(private_key, cn: str = "Weak Key Root"):
    """A self-signed root carrying `private_key`'s public key (any algorithm cryptography can sign with)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from pca_import.core.x509build import build_certificate, name, pem
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return pem(build_certificate(private_key.public_key(), name(cn), name(cn), private_key))
    import pca_import.core.x509build as xb
    b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn)).public_key(private_key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(NOW - dt.timedelta(days=1))
         .not_valid_after(NOW + dt.timedelta(days=3000))
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
         .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True))
    return xb.pem(b.sign(private_key, hashes.SHA256()))


def _rsa1024_root():
    from cryptography.hazmat.primitives.asymmetric import rsa
    return dict(certificate=_root_with_key(rsa.generate_private_key(65537, 1024)))


def _many_labels_below_constraints():
    """One 22,000-character host of 11,000 labels below a constrained root: more look-up work than the bound."""
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.test")], excluded_subtrees=[x509.DNSName("x.y")])
    top = ca("NC Root", extra_extensions=[(nc, True)])
    san = x509.SubjectAlternativeName([x509.DNSName("a." * 11000 + "example.test")])
    return dict(certificate=ca("Many Labels", top, extra_extensions=[(san, False)]).pem, chain=top.pem)


def _self_issued_outside_constraints():
    """A key rollover of a CA whose own name is outside the directoryName subtree its issuer permits."""
    permitted = x509.DirectoryName(x509.Name([x509.NameAttribute(x509.NameOID.ORGANIZATIONAL_UNIT_NAME, "permitted")]))
    nc = x509.NameConstraints(permitted_subtrees=[permitted], excluded_subtrees=None)
    top = ca("SI Root")
    inter = ca("SI Inter", top, extra_extensions=[(nc, True)])
    rollover = ca("SI Inter", inter, key_tag="SI Inter new")
    return dict(certificate=rollover.pem, chain=chain(inter, top))


# code -> (passing vector, failing vector); each a function returning validate_import kwargs
VECTORS = {
    "ENC001": (lambda: GOOD_ROOT, lambda: dict(certificate=b"  \n")),
    "ENC002": (lambda: GOOD_ROOT, lambda: dict(certificate=ROOT.der)),
    "ENC003": (lambda: GOOD_SUB, lambda: dict(certificate=SUB.pem + INTER.pem, chain=ROOT.pem)),
    "ENC004": (lambda: GOOD_SUB, lambda: dict(certificate=SUB.pem + private_key_pem("Partner CA"),
                                              chain=chain(INTER, ROOT))),
    "ENC005": (lambda: GOOD_SUB, lambda: dict(certificate=SUB.pem,
                                              chain=chain(INTER, ROOT) + csr_for("x", "x"))),
    "ENC006": (lambda: GOOD_SUB, lambda: dict(certificate="subject=CN=Partner CA\n" + SUB.pem,
                                              chain=chain(INTER, ROOT))),
    "ENC007": (lambda: GOOD_ROOT, lambda: dict(
        certificate="-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n")),
    "ENC008": (lambda: GOOD_SUB, lambda: dict(certificate=SUB.pem, chain="see the wiki for the chain")),
    "SIZE001": (lambda: GOOD_ROOT, lambda: dict(certificate=ca("Huge", extra_extensions=[_padding(25000)]).pem)),
    "SIZE002": (lambda: GOOD_SUB, _big_chain),
    "ROOT001": (lambda: dict(GOOD_ROOT, ca_type="ROOT"), lambda: dict(certificate=SUB.pem, ca_type="ROOT")),
    "ROOT002": (lambda: GOOD_ROOT, lambda: dict(certificate=ROOT.pem, chain=INTER.pem)),
    "SUB001": (lambda: dict(GOOD_SUB, ca_type="SUBORDINATE"),
               lambda: dict(certificate=ROOT.pem, chain=INTER.pem, ca_type="SUBORDINATE")),
    "SUB002": (lambda: GOOD_SUB, lambda: dict(certificate=SUB.pem)),
    "CHAIN001": (lambda: GOOD_SUB, lambda: dict(certificate=SUB.pem, chain=chain(SUB, INTER, ROOT))),
    "CHAIN002": (lambda: GOOD_SUB, lambda: dict(certificate=SUB.pem, chain=chain(ROOT, INTER))),
    "CHAIN004": (lambda: GOOD_SUB, lambda: dict(certificate=SUB.pem, chain=chain(INTER, INTER, ROOT))),
    "CHAIN003": (lambda: GOOD_SUB, lambda: dict(certificate=SUB.pem, chain=INTER.pem)),
    "PATH001": (lambda: GOOD_SUB, lambda: dict(certificate=SUB.pem, chain=chain(
        ca("Ext Intermediate", ca("Ext Root", path_length=0), key_tag="Ext Intermediate"), ca("Ext Root", path_length=0)))),
    "PATH002": (lambda: _deep(5), lambda: _deep(6)),
    "BC001": (lambda: GOOD_SUB, lambda: _sub_with(ca=None)),
    "BC002": (lambda: GOOD_SUB, lambda: _sub_with(bc_critical=False)),
    "BC003": (lambda: GOOD_SUB, lambda: _sub_with(ca=False)),
    "EXT001": (lambda: GOOD_SUB, _aia_critical),
    "EXT002": (lambda: GOOD_SUB, _nc_critical),
    "KU001": (lambda: GOOD_SUB, lambda: _sub_with(key_usage=False)),
    "KEY001": (lambda: dict(GOOD_SUB, csr=csr_for("Partner CA", "Partner CA")),
               lambda: dict(GOOD_SUB, csr=csr_for("someone else", "Partner CA"))),
    "KEY002": (lambda: dict(GOOD_SUB, csr=csr_for("Partner CA", "Partner CA")),
               lambda: dict(GOOD_SUB, csr=csr_for("Partner CA", "Renamed CA"))),
    "KEY003": (lambda: dict(GOOD_SUB, csr=csr_for("Partner CA", "Partner CA")),
               lambda: dict(GOOD_SUB, csr=b"not a csr")),
    "VAL001": (lambda: GOOD_SUB, lambda: _sub_with(not_before=NOW - dt.timedelta(days=400), days=365)),
    "VAL002": (lambda: GOOD_SUB, lambda: _sub_with(not_before=NOW + dt.timedelta(days=2))),
    "VAL003": (lambda: GOOD_SUB, lambda: _sub_with(days=10)),
    "VAL004": (lambda: GOOD_SUB, lambda: _sub_with(days=9000)),
    "SIZE003": (lambda: GOOD_SUB, lambda: dict(certificate=SUB.pem, chain=ROOT.pem * 20000)),
    "SIG001": (lambda: GOOD_SUB, _sha1),
    "SIG002": (lambda: GOOD_SUB, lambda: dict(certificate=with_unknown_signature_algorithm(SUB),
                                              chain=chain(INTER, ROOT))),
    "NAME001": (lambda: GOOD_SUB, _name_variant),
    "NC001": (lambda: _nc(permitted=[x509.DNSName("example.test")]),
              lambda: _nc(excluded=[x509.DirectoryName(x509.Name([x509.NameAttribute(
                  x509.NameOID.COMMON_NAME, "NC Sub")]))])),
    "NC002": (lambda: GOOD_ROOT, _nc_registered_id),
    "KEY004": (lambda: GOOD_ROOT, _rsa1024_root),
    "EXT003": (lambda: GOOD_SUB, lambda: _sub_with(aki_critical=True)),
    "NC003": (lambda: _nc(permitted=[x509.DNSName("example.test")]), _many_labels_below_constraints),
    "NC004": (lambda: _nc(permitted=[x509.DNSName("example.test")]), _self_issued_outside_constraints),
    "STAT001": (lambda: dict(GOOD_SUB, ca_status="PENDING_CERTIFICATE"), lambda: dict(GOOD_SUB, ca_status="CREATING")),
    "STAT002": (lambda: dict(GOOD_SUB, ca_status="ACTIVE"), lambda: dict(GOOD_SUB, ca_status="DISABLED")),
}


def test_catalogue_is_complete_and_unique():
    codes = [r["code"] for r in catalogue()]
    assert len(codes) == len(set(codes))
    for r in catalogue():
        assert r["citation"] and r["title"], r["code"]
    assert set(codes) - {"FATAL"} == set(VECTORS), "every rule needs a passing and a failing vector"


# SIG001's failing vector is a SHA-1 chain, which only the openssl binary can make (cryptography refuses to sign
# SHA-1): the one process the unit tier allows, as a vector generator (see tests/unit/conftest.py).
_OPENSSL_VECTORS = {"SIG001"}


@pytest.mark.parametrize("code", [pytest.param(c, marks=pytest.mark.openssl_vector) if c in _OPENSSL_VECTORS else c
                                  for c in sorted(VECTORS)])
def test_rule_fails_on_its_failing_vector(code):
    report = validate_import(**VECTORS[code][1]())
    assert code in report.codes, report.to_text()


@pytest.mark.parametrize("code", sorted(VECTORS))
def test_rule_passes_on_its_passing_vector(code):
    report = validate_import(**VECTORS[code][0]())
    assert code not in report.codes, report.to_text()


def test_good_imports_are_clean():
    for kwargs in (GOOD_SUB, GOOD_ROOT):
        report = validate_import(**kwargs)
        assert report.ok and report.findings == [], report.to_text()
    assert validate_import(**GOOD_ROOT).ca_type == "ROOT"
    assert validate_import(**GOOD_SUB).ca_type == "SUBORDINATE"


def test_every_violation_is_reported_at_once():
    bad = ca("Many Problems", INTER, key_tag="variant", bc_critical=False, key_usage=False,
             not_before=NOW - dt.timedelta(days=400), days=365)
    report = validate_import(bad.pem, chain(ROOT, INTER) + private_key_pem("x"),
                             csr=csr_for("other", "Many Problems"), ca_status="CREATING")
    assert {"BC002", "KU001", "VAL001", "CHAIN002", "ENC004", "KEY001", "STAT001"} <= report.codes
    assert not report.ok


def test_wrong_order_is_named_as_order_with_the_working_order():
    report = validate_import(SUB.pem, chain(ROOT, INTER))
    [f] = [f for f in report.findings if f.code == "CHAIN002"]
    assert "out of order" in f.message and "would work" in f.message
    assert f.message.index("CN=Ext Intermediate") < f.message.index("CN=Ext Root")
    assert "CHAIN003" not in report.codes  # not also reported as a missing root


def test_an_unrelated_certificate_in_the_chain_is_named_for_removal():
    stranger = ca("Stranger Root")
    report = validate_import(SUB.pem, chain(INTER, ROOT, stranger))
    [f] = [f for f in report.findings if f.code == "CHAIN002"]
    assert f.location == "chain[2]" and "CN=Stranger Root" in f.message and "remove it" in f.message
    report = validate_import(SUB.pem, chain(stranger, ROOT, INTER))
    assert {(f.code, f.location) for f in report.findings} == {("CHAIN002", "chain[0]"), ("CHAIN002", "chain")}


def test_broken_link_names_both_certificates():
    other = ca("Other Intermediate", ROOT)
    report = validate_import(SUB.pem, chain(other, ROOT))
    [f] = [f for f in report.findings if f.code == "CHAIN002"]
    assert f.location == "certificate" and "CN=Other Intermediate" in f.message and "CN=Ext Intermediate" in f.message


def test_name_constraints_profiles():
    default = validate_import(**_nc_critical())
    strict = validate_import(**_nc_critical(), profile="strict")
    assert default.ok and [f.severity for f in default.findings if f.code == "EXT002"] == ["warning"]
    assert not strict.ok and [f.severity for f in strict.findings if f.code == "EXT002"] == ["error"]


def test_whitespace_and_crlf_are_tolerated_and_canonicalised():
    messy = "\r\n  " + SUB.pem.replace("\n", "\r\n") + "\r\n\r\n"
    report = validate_import(messy, "\n\n" + chain(INTER, ROOT).replace("\n", "\n  ") + "\n")
    assert report.ok and report.findings == []
    assert report.certificate == SUB.pem and report.certificate_chain == chain(INTER, ROOT)


def test_private_key_is_never_echoed():
    keytext = private_key_pem("Partner CA")
    report = validate_import(SUB.pem + keytext, chain(INTER, ROOT))
    body = keytext.splitlines()[1]
    assert body not in report.to_text() and body not in report.to_json()


def test_a_crashing_rule_becomes_a_fatal_finding(monkeypatch):
    def boom(f):
        raise RuntimeError("kaboom")
        yield  # pragma: no cover

    crashing = registry.Rule("TEST999", "error", "crashes", "test", boom)
    monkeypatch.setattr(registry, "RULES", registry.RULES + [crashing])
    import pca_import.core.validate as engine
    monkeypatch.setattr(engine, "RULES", registry.RULES)
    report = validate_import(**GOOD_ROOT)
    assert "FATAL" in report.codes and "TEST999" in report.to_text()


def test_expiry_warning_threshold_is_configurable():
    short = _sub_with(days=60)
    assert "VAL003" not in validate_import(**short).codes
    assert "VAL003" in validate_import(**short, expiry_warning_days=90).codes


def test_disabled_ca_type_mismatch_and_unknown_inputs_rejected_cleanly():
    with pytest.raises(ValueError, match="unknown rule profile"):
        validate_import(ROOT.pem, profile="lenient")
    with pytest.raises(ValueError, match="ROOT or SUBORDINATE"):
        validate_import(ROOT.pem, ca_type="INTERMEDIATE")


def test_a_chain_over_2mb_is_measured_not_analysed():
    report = validate_import(**_big_chain())
    assert "SIZE002" in report.codes and "CHAIN002" not in report.codes
    waited = {code for code, why in report.not_checked if "2 MB" in why}
    assert {"CHAIN002", "CHAIN003", "CHAIN004"} <= waited


@pytest.mark.parametrize("damage", ["no markers", "damaged marker", "der key", "key after the csr"])
def test_private_key_material_is_found_without_its_pem_block(damage):
    from cryptography.hazmat.primitives import serialization

    from certfactory import key
    keytext = private_key_pem("Partner CA")
    body = "\n".join(ln for ln in keytext.splitlines() if "-----" not in ln)
    kwargs = {"no markers": dict(GOOD_SUB, certificate=SUB.pem + body + "\n"),
              "damaged marker": dict(GOOD_SUB, certificate=SUB.pem + keytext.replace("-----BEGIN", "----BEGIN")),
              "der key": dict(certificate=key("Partner CA").private_bytes(
                  serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
              "key after the csr": dict(GOOD_SUB, csr=csr_for("Partner CA", "Partner CA") + keytext)}[damage]
    report = validate_import(**kwargs)
    assert "ENC004" in {f.code for f in report.errors}
    assert body.splitlines()[1] not in report.to_text() + report.to_json()
    assert "ENC002" not in report.codes
