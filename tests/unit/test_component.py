"""PkiHierarchy, the component a user's own program declares: named children under it, arguments checked as a
whole with the fix (Pulumi's mocks stand in for the engine; the engine tier runs it for real)."""
from __future__ import annotations

import pulumi
import pytest

from certfactory import ca
from pca_import import CaSpec, ExternalSignature, PkiHierarchy, PkiHierarchyArgs
from pca_import.errors import HierarchyError
from pca_import.resources.hierarchy.component import validate

REGISTERED: list = []
OFFLINE_ROOT = ca("Component Offline Root")
PARTNER = ca("Component Partner", OFFLINE_ROOT)


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        REGISTERED.append((args.typ, args.name, dict(args.inputs)))
        outs = dict(args.inputs)
        if args.typ.endswith(":PrivateCertificateAuthority"):
            outs.update(arn=f"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/{args.name}",
                        csr="csr-of-" + args.name)
        return f"{args.name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture(scope="module")
def two_hierarchies():
    import asyncio
    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi.runtime.set_mocks(Mocks(), preview=False)
    cas = [CaSpec("root", "ROOT", subject={"common_name": "Root"}, key_algorithm="EC_secp384r1"),
           CaSpec("issuing", "SUBORDINATE", parent="root", renew_before_days=60),
           CaSpec("partner", "SUBORDINATE", signer="external", enabled=False)]
    signed = {"partner": ExternalSignature(PARTNER.pem, OFFLINE_ROOT.pem)}
    return (PkiHierarchy("prod", PkiHierarchyArgs(cas=cas, signed=signed)),
            PkiHierarchy("dev", cas=cas[:2]))


@pulumi.runtime.test
def test_children_are_named_under_each_component_and_never_collide(two_hierarchies):
    prod, dev = two_hierarchies

    def check(_):
        names = [n for _, n, _ in REGISTERED]
        assert len(names) == len(set(names)), names
        for prefix in ("prod", "dev"):
            assert {f"{prefix}-root-ca", f"{prefix}-root-issued", f"{prefix}-root-cert", f"{prefix}-issuing-ca",
                    f"{prefix}-issuing-issued", f"{prefix}-issuing-cert"} <= set(names)
        types = {n: t for t, n, _ in REGISTERED}
        assert types["prod-root-ca"] == "pulumi-python:dynamic/pca_import:PrivateCertificateAuthority"
        assert types["prod-root-cert"] == "pulumi-python:dynamic/pca_import:CaCertificateImport"
        assert types["prod"] == "pca-import:index:PkiHierarchy"
        inputs = {n: i for _, n, i in REGISTERED}
        # the snake_case subject key became the attribute Private CA is asked for
        assert inputs["prod-root-ca"]["subject"] == {"commonName": "Root"}
        # the declared state reaches the import: `enabled` (default true)
        assert inputs["prod-partner-cert"]["enabled"] is False and inputs["prod-issuing-cert"]["enabled"] is True
        # the external CA: the signature passed in is imported, nothing issued for it
        assert inputs["prod-partner-cert"]["certificate"] == PARTNER.pem
        assert "prod-partner-issued" not in names and "dev-partner-cert" not in names

    return pulumi.Output.all(prod.cas, dev.cas).apply(check)


def _problems(cas, **kw) -> list[str]:
    with pytest.raises(HierarchyError) as e:
        validate("corp", PkiHierarchyArgs(cas=cas, **kw))
    return e.value.problems


def test_every_argument_mistake_is_named_by_position_ca_and_field_with_the_fix():
    problems = _problems([CaSpec("root", "ROOT", validity_days=0),
                          {"name": "issuing", "type": "SUBORDINATE", "parent": "rot", "path_length": True},
                          CaSpec("Bad Name", "SUBORDINATE", signer="external")], backend="terraform")
    text = "\n".join(problems)
    assert "PkiHierarchy corp: backend must be one of boto3, pulumi-aws" in text
    assert "PkiHierarchy corp: cas[0] (root).validity_days:" in text
    assert "cas[1] (issuing).path_length:" in text
    assert "cas[2].name:" in text
    assert "`parent` 'rot' is not a CA in this hierarchy" in text
    assert "Traceback" not in text


def test_a_signature_for_a_ca_that_is_not_external_is_refused():
    problems = _problems([CaSpec("root", "ROOT")], signed={"root": ExternalSignature("x")})
    assert any("signed names root" in p for p in problems)


def test_bad_arguments_fail_the_program_with_a_message_not_a_traceback():
    with pytest.raises(pulumi.RunError) as e:
        PkiHierarchy("broken", cas=[CaSpec("root", "ROOT", key_algorithm="EC_secp256k1")])
    assert "PkiHierarchy broken: cas[0] (root).key_algorithm" in str(e.value)
