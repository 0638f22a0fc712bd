"""The policy pack's logic (pca_import/crossguard.py) without the engine: which resources, which inputs,
which violations. The pack on the real engine is tested in test_policy_pack.py."""
from __future__ import annotations

from cryptography import x509

from certfactory import ca, chain, csr_for
from pca_import.integrations.crossguard import (AWS_CA_TYPE, AWS_TYPE, DYNAMIC_TYPE, UNKNOWN, StackResource, check,
                                    check_against_ca, kind)

ROOT = ca("CG Root", path_length=2)
# each child expires before its issuer (else VAL004, outlives its issuer, by a second or so)
INTER = ca("CG Inter", ROOT, path_length=1, days=3600)
LEAF = ca("CG Leaf", INTER, path_length=0, days=3000)
SOON = ca("CG Soon", INTER, path_length=0, days=10)
ARN = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/cg"
RPC_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def aws(cert, chain_pem=None, **extra):
    inputs = {"certificateAuthorityArn": ARN, "certificate": cert, **extra}
    if chain_pem is not None:
        inputs["certificateChain"] = chain_pem
    return inputs


def ours(cert, chain_pem=None, **extra):
    return {"certificate_authority_arn": ARN, "certificate": cert, "certificate_chain": chain_pem,
            "rule_profile": "default", "on_delete": "retain", "expiry_warning_days": 30.0, **extra}


def codes(violations, mandatory=None):
    return {v.code for v in violations if mandatory is None or v.mandatory == mandatory}


def test_a_good_certificate_has_no_violation():
    assert check(AWS_TYPE, "good", aws(LEAF.pem, chain(INTER, ROOT))) == []
    assert check(DYNAMIC_TYPE, "good", ours(LEAF.pem, chain(INTER, ROOT))) == []
    assert check(AWS_TYPE, "root", aws(ROOT.pem)) == []


def test_an_error_is_mandatory_and_names_code_resource_input_and_fix():
    [v] = check(AWS_TYPE, "partner-cert", aws(LEAF.pem, chain(ROOT, INTER)))
    assert v.mandatory and v.code == "CHAIN002"
    assert v.message.startswith("[CHAIN002] partner-cert: certificateChain: the chain is out of order")
    assert "this order would work: chain[1] (CN=CG Inter), chain[0] (CN=CG Root)" in v.message
    [v] = check(DYNAMIC_TYPE, "ours", ours(LEAF.pem, chain(ROOT, INTER)))
    assert v.mandatory and v.message.startswith("[CHAIN002] ours: certificate_chain: ")


def test_a_warning_is_advisory():
    found = check(AWS_TYPE, "soon", aws(SOON.pem, chain(INTER, ROOT)))
    assert codes(found, mandatory=False) == {"VAL003"} and codes(found, mandatory=True) == set()


def test_every_finding_of_a_bad_certificate_is_reported():
    found = check(AWS_TYPE, "sub-as-root", aws(LEAF.pem))  # a subordinate with no chain
    assert "SUB002" in codes(found, mandatory=True)


def test_an_unknown_certificate_is_skipped_and_an_unknown_chain_skips_only_the_chain_rules():
    for unknown in (UNKNOWN, RPC_UNKNOWN):
        assert check(AWS_TYPE, "later", aws(unknown, chain(ROOT, INTER))) == []
        assert check(DYNAMIC_TYPE, "later", ours(unknown)) == []
        # a subordinate whose chain is not known yet: no SUB002 (chain missing), but the certificate's own rules run
        assert check(AWS_TYPE, "chain-later", aws(LEAF.pem, unknown)) == []
        assert codes(check(AWS_TYPE, "soon-chain-later", aws(SOON.pem, unknown))) == {"VAL003"}


def test_only_aws_certificate_and_our_dynamic_resource_are_checked():
    assert kind(AWS_TYPE, {}) == "aws"
    assert kind(DYNAMIC_TYPE, ours(LEAF.pem)) == "pca-import"
    # as the engine shows it after our provider's check: defaults filled in, inputs left None absent
    assert kind(DYNAMIC_TYPE, {"certificate_authority_arn": UNKNOWN, "certificate": LEAF.pem,
                               "owner": "project/stack/x"}) == "pca-import"
    for other_dynamic in ({"certificate": LEAF.pem, "certificate_chain": chain(ROOT, INTER)},
                          {"certificate_authority_arn": ARN, "certificate": LEAF.pem, "tags": {}}):
        assert kind(DYNAMIC_TYPE, other_dynamic) is None and check(DYNAMIC_TYPE, "x", other_dynamic) == []
    assert check("aws:acmpca/certificate:Certificate", "x", aws(LEAF.pem, chain(ROOT, INTER))) == []


def test_our_resource_keeps_its_rule_profile_and_expiry_warning_days():
    # critical name constraints: a warning in the default profile, refused in strict
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.test")], excluded_subtrees=None)
    constrained = ca("CG Constrained", INTER, path_length=0, days=3000, extra_extensions=[(nc, True)])
    good_chain = chain(INTER, ROOT)
    default = check(DYNAMIC_TYPE, "c", ours(constrained.pem, good_chain))
    assert codes(default, mandatory=False) == {"EXT002"} and codes(default, mandatory=True) == set()
    assert codes(check(DYNAMIC_TYPE, "c", ours(constrained.pem, good_chain, rule_profile="strict")), mandatory=True)
    assert check(DYNAMIC_TYPE, "soon", ours(SOON.pem, good_chain, expiry_warning_days=5)) == []
    assert codes(check(DYNAMIC_TYPE, "soon", ours(SOON.pem, good_chain, expiry_warning_days=UNKNOWN))) == {"VAL003"}


def test_a_wrong_setting_on_our_resource_is_reported_and_the_rules_still_run():
    found = check(DYNAMIC_TYPE, "typo", ours(LEAF.pem, chain(ROOT, INTER), rule_profile="strikt"))
    assert codes(found, mandatory=True) == {"INPUT", "CHAIN002"}
    assert found[0].message == "[INPUT] typo: rule_profile: unknown rule profile 'strikt': use default or strict"
    found = check(DYNAMIC_TYPE, "days", ours(LEAF.pem, chain(INTER, ROOT), expiry_warning_days=-1))
    assert codes(found) == {"INPUT"} and found[0].message.startswith("[INPUT] days: expiry_warning_days: ")


def test_a_notice_is_advisory_and_labelled():
    [v] = check(AWS_TYPE, "commented", aws("issued by the offline root\n" + LEAF.pem, chain(INTER, ROOT)))
    assert not v.mandatory and v.code == "ENC006" and v.message.endswith("(notice)")


def stack_res(name, type_, props, arn_from=None, arn_key="certificateAuthorityArn"):
    deps = {arn_key: [f"urn:{arn_from}"]} if arn_from else {}
    return StackResource(f"urn:{name}", type_, name, props, deps)


def aws_ca(name, ca_type, csr=None):
    props = {"type": ca_type}
    if csr is not None:
        props["certificateSigningRequest"] = csr
    return stack_res(name, AWS_CA_TYPE, props)


def test_against_its_ca_a_certificate_of_the_wrong_type_is_mandatory():
    good = aws(LEAF.pem, chain(INTER, ROOT))
    [(urn, v)] = check_against_ca([aws_ca("root-ca", "ROOT"), stack_res("cert", AWS_TYPE, good, "root-ca")])
    assert urn == "urn:cert" and v.mandatory and v.code == "ROOT001"
    assert v.message.startswith("[ROOT001] cert: certificate: ") and v.message.endswith("(the CA: root-ca, type ROOT)")
    assert check_against_ca([aws_ca("sub-ca", "SUBORDINATE"), stack_res("cert", AWS_TYPE, good, "sub-ca")]) == []
    found = check_against_ca([aws_ca("sub-ca", "SUBORDINATE"), stack_res("root", AWS_TYPE, aws(ROOT.pem), "sub-ca")])
    assert "SUB001" in codes(v for _, v in found)


def test_against_its_ca_a_key_that_is_not_the_csr_key_is_mandatory():
    good = aws(LEAF.pem, chain(INTER, ROOT))
    own_csr, other_csr = csr_for("CG Leaf", "CG Leaf"), csr_for("CG Other", "CG Leaf")
    found = check_against_ca([aws_ca("ca", "SUBORDINATE", other_csr), stack_res("cert", AWS_TYPE, good, "ca")])
    assert codes(v for _, v in found) == {"KEY001"} and found[0][1].message.endswith("type SUBORDINATE and its CSR)")
    assert check_against_ca([aws_ca("ca", "SUBORDINATE", own_csr), stack_res("cert", AWS_TYPE, good, "ca")]) == []


def test_against_its_ca_nothing_is_repeated_guessed_or_judged_on_unknowns():
    bad_chain = aws(LEAF.pem, chain(ROOT, INTER))  # CHAIN002 is the resource policy's, not repeated here
    assert check_against_ca([aws_ca("ca", "SUBORDINATE"), stack_res("cert", AWS_TYPE, bad_chain, "ca")]) == []
    good = aws(LEAF.pem, chain(INTER, ROOT))
    assert check_against_ca([aws_ca("ca", UNKNOWN), stack_res("cert", AWS_TYPE, good, "ca")]) == []
    assert check_against_ca([aws_ca("ca", "ROOT"), stack_res("cert", AWS_TYPE, good)]) == []  # no dependency
    assert check_against_ca([aws_ca("ca", "ROOT"), stack_res("cert", AWS_TYPE, aws(UNKNOWN), "ca")]) == []


def test_against_its_ca_our_resources_are_matched_too():
    our_ca = stack_res("issuing-ca", DYNAMIC_TYPE, {"ca_type": "ROOT", "key_algorithm": "EC_prime256v1",
                                                    "subject": {}, "arn": UNKNOWN, "csr": UNKNOWN})
    cert = stack_res("issuing-cert", DYNAMIC_TYPE, ours(LEAF.pem, chain(INTER, ROOT)), "issuing-ca",
                     arn_key="certificate_authority_arn")
    assert codes(v for _, v in check_against_ca([our_ca, cert])) == {"ROOT001"}


def test_our_own_resource_types_are_recognised_by_type():
    from pca_import.integrations.crossguard import IMPORT_TYPE
    assert kind(IMPORT_TYPE, {"certificate_authority_arn": "arn", "certificate": LEAF.pem}) == "pca-import"
    [v] = check(IMPORT_TYPE, "ours", ours(LEAF.pem, chain(ROOT, INTER)))
    assert v.code == "CHAIN002"
