"""Verdicts that hold on real PKI (issue 7): every signature algorithm, RFC 5280 name matching, name
constraints, the self-issued exemption, and no path advice on a chain with no working order."""
from __future__ import annotations

import datetime as dt
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from pca_import import validate_import
from pca_import.core.x509build import pem

NOW = dt.datetime.now(dt.timezone.utc)
_KEYS: dict = {}


def key(tag, kind="ec"):
    if (tag, kind) not in _KEYS:
        _KEYS[tag, kind] = {"ec": lambda: ec.generate_private_key(ec.SECP256R1()),
                            "rsa": lambda: rsa.generate_private_key(65537, 2048),
                            "ed25519": ed25519.Ed25519PrivateKey.generate,
                            "mldsa65": mldsa.MLDSA65PrivateKey.generate,
                            "mldsa44": mldsa.MLDSA44PrivateKey.generate}[kind]()
    return _KEYS[tag, kind]


def nm(cn, *, o=None, printable=False):
    attrs = []
    if o:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn,
                                    _type=x509.name._ASN1Type.PrintableString if printable else
                                    x509.name._ASN1Type.UTF8String))
    return x509.Name(attrs)


def cert(subject, pub, issuer_name, issuer_key, *, path_length=None, extra=(), hash_alg="default", rsa_padding=None,
         days=365):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name).public_key(pub)
         .serial_number(x509.random_serial_number()).not_valid_before(NOW - dt.timedelta(days=1))
         .not_valid_after(NOW + dt.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                      crl_sign=True, encipher_only=False, decipher_only=False), critical=True))
    for ext, critical in extra:
        b = b.add_extension(ext, critical=critical)
    if hash_alg == "default":
        hash_alg = None if isinstance(issuer_key, (ed25519.Ed25519PrivateKey, mldsa.MLDSA65PrivateKey,
                                                   mldsa.MLDSA44PrivateKey)) else hashes.SHA256()
    kw = {"rsa_padding": rsa_padding} if rsa_padding is not None else {}
    return b.sign(issuer_key, hash_alg, **kw)


def root(cn, kind="ec", **kw):
    k = key(cn, kind)
    return cert(nm(cn), k.public_key(), nm(cn), k, **kw), k


def codes(**kw):
    return validate_import(**kw).codes


def errors(**kw):
    return {f.code for f in validate_import(**kw).errors}


# ---- 1. signatures: every algorithm a real chain carries ------------------------------------------------


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_sha1_root_is_self_signed_and_sha1_chain_is_accepted_with_a_warning(kind):
    from certfactory import openssl_sha1_chain
    root_pem, sub_pem = openssl_sha1_chain(kind)
    rep = validate_import(root_pem, ca_type="ROOT")
    assert rep.ok and "ROOT001" not in rep.codes, rep.to_text()
    rep = validate_import(sub_pem, root_pem, ca_type="SUBORDINATE")
    assert rep.ok, rep.to_text()
    assert "CHAIN003" not in rep.codes
    sig = [f for f in rep.findings if f.code == "SIG001"]
    assert sig and ("sha1WithRSAEncryption" if kind == "rsa" else "ecdsa-with-SHA1") in sig[0].message
    assert sig[0].location == "certificate"


@pytest.mark.parametrize("kind", ["rsa-pss", "ed25519", "mldsa"])
def test_modern_algorithms_chain(kind):
    if kind == "rsa-pss":
        r, rk = root("PSS Root", "rsa", rsa_padding=padding.PSS(padding.MGF1(hashes.SHA256()), 32))
        sk = key("PSS Sub", "rsa")
        sub = cert(nm("PSS Sub"), sk.public_key(), r.subject, rk,
                   rsa_padding=padding.PSS(padding.MGF1(hashes.SHA256()), 32))
    elif kind == "ed25519":
        # an Ed25519 root signs the imported CA: fine in the chain, but no Private CA holds an Ed25519 key (KEY004)
        r, rk = root("Ed Root", "ed25519")
        sub = cert(nm("Ed Sub"), key("Ed Sub").public_key(), r.subject, rk)
    else:
        r, rk = root("MLDSA Root", "mldsa65")
        sub = cert(nm("MLDSA Sub"), key("MLDSA Sub", "mldsa44").public_key(), r.subject, rk)
    root_errors = {f.code for f in validate_import(pem(r), ca_type="ROOT").errors}
    assert root_errors == ({"KEY004"} if kind == "ed25519" else set())
    rep = validate_import(pem(sub), pem(r), ca_type="SUBORDINATE")
    assert rep.ok and not rep.warnings, rep.to_text()


def test_a_signature_that_does_not_verify_stays_an_error_and_says_so():
    r, rk = root("Real Root")
    impostor_key = key("Impostor")
    sub = cert(nm("Sub"), key("Sub").public_key(), r.subject, impostor_key)  # right name, wrong key
    rep = validate_import(pem(sub), pem(r), ca_type="SUBORDINATE")
    [f] = [f for f in rep.errors if f.code == "CHAIN002"]
    assert "names match" in f.message and "does not verify" in f.message


# ---- 2. names: RFC 5280 7.1 ---------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["case", "spaces", "string type"])
def test_issuer_matching_under_7_1_chains_with_a_warning(variant):
    rk = key("Name Root")
    r = cert(nm("Example Root CA", o="Example"), rk.public_key(), nm("Example Root CA", o="Example"), rk)
    issuer_as_written = {"case": nm("EXAMPLE root ca", o="example"),
                         "spaces": nm("Example  Root   CA", o=" Example"),
                         "string type": nm("Example Root CA", o="Example", printable=True)}[variant]
    sub = cert(nm("Name Sub"), key("Name Sub").public_key(), issuer_as_written, rk)
    rep = validate_import(pem(sub), pem(r), ca_type="SUBORDINATE")
    assert rep.ok, rep.to_text()
    [w] = [f for f in rep.findings if f.code == "NAME001"]
    assert "7.1" in w.message and w.location == "certificate"


# ---- 3. name constraints ------------------------------------------------------------------------------


def _constrained(permitted=None, excluded=None, sub_name=None, san=None, critical=True):
    rk = key("NC Root")
    nc = x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=excluded)
    r = cert(nm("NC Root", o="Example"), rk.public_key(), nm("NC Root", o="Example"), rk, extra=[(nc, critical)])
    extra = [(x509.SubjectAlternativeName(san), False)] if san else []
    sub = cert(sub_name or nm("NC Sub", o="Example"), key("NC Sub").public_key(), r.subject, rk, extra=extra)
    return validate_import(pem(sub), pem(r), ca_type="SUBORDINATE")


def test_excluded_directory_name_is_an_error_naming_constraint_certificate_and_name():
    rep = _constrained(excluded=[x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                                                                  "Example")]))])
    [f] = [f for f in rep.errors if f.code == "NC001"]
    assert "excluded by directoryName /O=Example" in f.message and "chain[0]" in f.message
    assert "CN=NC Sub" in f.message


def test_permitted_dns_subtree_must_cover_the_san():
    bad = _constrained(permitted=[x509.DNSName("corp.example")], san=[x509.DNSName("www.other.example")])
    assert "NC001" in {f.code for f in bad.errors}
    good = _constrained(permitted=[x509.DNSName("corp.example")], san=[x509.DNSName("pki.corp.example")])
    assert "NC001" not in good.codes, good.to_text()


@pytest.mark.parametrize("san,constraint,ok", [
    (x509.IPAddress(__import__("ipaddress").ip_address("10.1.2.3")),
     x509.IPAddress(__import__("ipaddress").ip_network("10.0.0.0/8")), True),
    (x509.IPAddress(__import__("ipaddress").ip_address("192.168.1.1")),
     x509.IPAddress(__import__("ipaddress").ip_network("10.0.0.0/8")), False),
    (x509.RFC822Name("pki@corp.example"), x509.RFC822Name("corp.example"), True),
    (x509.RFC822Name("pki@evil.example"), x509.RFC822Name("corp.example"), False),
    (x509.UniformResourceIdentifier("https://pki.corp.example/ca"), x509.UniformResourceIdentifier(".corp.example"), True),
    (x509.UniformResourceIdentifier("https://corp.evil/ca"), x509.UniformResourceIdentifier(".corp.example"), False),
])
def test_permitted_subtrees_per_form(san, constraint, ok):
    rep = _constrained(permitted=[constraint], san=[san])
    assert ("NC001" not in rep.codes) is ok, rep.to_text()


def test_excluded_wins_over_permitted():
    rep = _constrained(permitted=[x509.DNSName("example")], excluded=[x509.DNSName("bad.example")],
                       san=[x509.DNSName("x.bad.example")])
    assert "NC001" in {f.code for f in rep.errors}


def test_name_constraint_forms_aws_does_not_support():
    rk = key("X400 Root")
    x400 = bytes([0xA3, 0x02, 0x30, 0x00])  # permitted [ GeneralSubtree { x400Address {} } ]
    subtree = bytes([0x30, len(x400)]) + x400
    raw = bytes([0x30, len(subtree) + 2, 0xA0, len(subtree)]) + subtree
    ext = x509.UnrecognizedExtension(ExtensionOID.NAME_CONSTRAINTS, raw)
    r = cert(nm("X400 Root"), rk.public_key(), nm("X400 Root"), rk, extra=[(ext, True)])
    rep = validate_import(pem(r), ca_type="ROOT")
    [f] = [f for f in rep.errors if f.code == "NC002"]
    assert "permitted x400Address" in f.message
    assert "FATAL" not in rep.codes
    rid = x509.NameConstraints(permitted_subtrees=[x509.RegisteredID(x509.ObjectIdentifier("1.2.3"))],
                               excluded_subtrees=None)
    r2 = cert(nm("RID Root"), key("RID").public_key(), nm("RID Root"), key("RID"), extra=[(rid, True)])
    assert "NC002" in {f.code for f in validate_import(pem(r2), ca_type="ROOT").errors}


# ---- 4. path length: the self-issued exemption; advice only on a working order -----------------------


def test_self_issued_key_rollover_does_not_count_against_path_length():
    rk = key("Rollover Root")
    r = cert(nm("Rollover Root"), rk.public_key(), nm("Rollover Root"), rk, path_length=0)
    new = cert(nm("Rollover Root"), key("Rollover Root new").public_key(), nm("Rollover Root"), rk, path_length=0)
    rep = validate_import(pem(new), pem(r), ca_type="SUBORDINATE")
    assert "PATH001" not in rep.codes and rep.ok, rep.to_text()
    # a real (not self-issued) CA under the rollover still counts
    sub = cert(nm("Under Rollover"), key("Under").public_key(), new.subject, key("Rollover Root new"))
    rep2 = validate_import(pem(sub), pem(new) + pem(r), ca_type="SUBORDINATE")
    assert "PATH001" in {f.code for f in rep2.errors}


def test_no_path_advice_when_no_order_works():
    r, rk = root("Lone Root")
    a = cert(nm("A"), key("A").public_key(), r.subject, rk)
    b = cert(nm("B"), key("B").public_key(), a.subject, key("A"))
    c = cert(nm("C"), key("C").public_key(), nm("Unknown Issuer"), key("Unknown"))
    chain_ = pem(b) + pem(a) + pem(c) + pem(c.__class__ and r)
    rep = validate_import(pem(c), chain_, ca_type="SUBORDINATE")
    assert not {"PATH001", "PATH002"} & rep.codes, rep.to_text()
    assert "CHAIN002" in rep.codes


# ---- the real trust store: SHA-1 or not, an unexpired real root is accepted ---------------------------


def test_digicert_style_sha1_roots_from_the_trust_store():
    path = "/etc/ssl/certs/ca-certificates.crt"
    if not os.path.exists(path):
        pytest.skip("no system trust store")
    roots = x509.load_pem_x509_certificates(open(path, "rb").read())
    sha1 = [c for c in roots if c.signature_hash_algorithm is not None and c.signature_hash_algorithm.name == "sha1"]
    assert sha1, "the trust store has SHA-1 roots"
    rejected = [c.subject.rfc4514_string() for c in sha1
                if "ROOT001" in validate_import(pem(c), ca_type="ROOT").codes]
    assert rejected == []


def test_self_issued_ca_is_exempt_from_name_constraints_pkits_4_13_19():
    """A key rollover under a directoryName-constrained CA: the self-issued certificate keeps the constrained CA's
    own name, outside its permitted subtree; RFC 5280 6.1.3 (b) skips it (PKITS 4.13.19 is a valid path)."""
    rk = key("DN Root")
    permitted = x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "permitted")]))
    r = cert(nm("DN Root"), rk.public_key(), nm("DN Root"), rk)
    nc = x509.NameConstraints(permitted_subtrees=[permitted], excluded_subtrees=None)
    dn1 = cert(nm("DN1 CA"), key("DN1").public_key(), r.subject, rk, extra=[(nc, True)])
    rollover = cert(nm("DN1 CA"), key("DN1 new").public_key(), dn1.subject, key("DN1"))
    rep = validate_import(pem(rollover), pem(dn1) + pem(r), ca_type="SUBORDINATE")
    assert "NC001" not in rep.codes, rep.to_text()


def test_a_root_given_first_is_named_as_such_and_long_chains_get_a_working_order():
    cas = [root("Walk Root")]
    for i in range(1, 80):
        prev, pk = cas[-1]
        cas.append((cert(nm(f"W{i}"), key(f"W{i}").public_key(), prev.subject, pk), key(f"W{i}")))
    chain_ = "".join(pem(c) for c, _ in reversed(cas[:-1]))
    rep = validate_import(pem(cas[-1][0]), chain_, ca_type="SUBORDINATE")
    assert "CHAIN003" not in rep.codes and "PATH002" in rep.codes, rep.to_text()   # the walk reaches the root
    backwards = "".join(pem(c) for c, _ in cas[:-1])
    rep = validate_import(pem(cas[-1][0]), backwards, ca_type="SUBORDINATE")
    messages = [f.message for f in rep.errors if f.code == "CHAIN002"]
    assert any("this order would work" in m for m in messages)


def test_trailing_dot_names_are_read_strictly_both_ways():
    """`a.example.com.`: excluded when its dotless form is (no bypass), permitted only as written (as openssl)."""
    bad_uri = _constrained(excluded=[x509.UniformResourceIdentifier(".example.com")],
                           san=[x509.UniformResourceIdentifier("https://a.example.com./x")])
    assert "NC001" in {f.code for f in bad_uri.errors}
    bad_dns = _constrained(permitted=[x509.DNSName("example.com")], san=[x509.DNSName("a.example.com.")])
    assert "NC001" in {f.code for f in bad_dns.errors}


def test_no_contradictory_advice():
    r, rk = root("Contra Root")
    rep = validate_import(pem(r), ca_type="SUBORDINATE")
    assert "SUB001" in rep.codes and "SUB002" not in rep.codes
    other, ok = root("Contra Other")
    rep = validate_import(pem(r), pem(other), ca_type="ROOT")
    assert rep.codes & {"CHAIN002", "CHAIN003"} == set() and "ROOT002" in rep.codes


def test_a_damaged_root_is_named_as_damaged_not_missing():
    rk = key("Damaged Root")
    r = cert(nm("Damaged Root"), rk.public_key(), nm("Damaged Root"), key("someone else"))  # self-issued, bad sig
    sub = cert(nm("Under Damaged"), key("Under Damaged").public_key(), r.subject, rk)
    other, _ = root("Unrelated Root")
    for chain_ in (pem(other) + pem(r), pem(r) + pem(other)):  # the damaged root last, then first
        text = validate_import(pem(sub), chain_, ca_type="SUBORDINATE").to_text()
        assert "damaged or altered" in text and "no certificate named CN=Damaged Root" not in text
        assert "append its issuer" not in text
