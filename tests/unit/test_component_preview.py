"""PkiHierarchy at preview, when a CA added in this change is not created yet: what is known about the other CAs
stays known to whoever reads one value of the component's `cas` map (a PR preview must not show every consumer
of `cas["root"]["arn"]` as unknown, or a replacement, because an unrelated CA is new)."""
from __future__ import annotations

import asyncio

import pulumi
import pytest


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        outs = dict(args.inputs)
        if args.typ.endswith(":PrivateCertificateAuthority") and "issuing" not in args.name:
            outs.update(arn=f"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/{args.name}",
                        csr="csr-of-" + args.name)  # the new `issuing` CA: its ARN and CSR only after apply
        if args.typ.endswith(":CaCertificateImport") and "issuing" not in args.name:
            outs.update(status="ACTIVE", not_after="2030-01-01T00:00:00+00:00")
        return f"{args.name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture(scope="module")
def preview():
    from pca_import import CaSpec, PkiHierarchy
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(Mocks(), preview=True)
    pki = PkiHierarchy("pr", cas=[CaSpec("root", "ROOT"), CaSpec("issuing", "SUBORDINATE", parent="root"),
                                  CaSpec("partner", "SUBORDINATE", signer="external")])
    return loop, pki


def _known(loop, output) -> tuple[bool, object]:
    async def read():
        return await output.is_known(), await output.future(with_unknowns=True)
    return loop.run_until_complete(read())


def test_one_new_ca_leaves_the_others_values_known(preview):
    loop, pki = preview
    assert _known(loop, pki.cas["root"]["arn"]) == (
        True, "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/pr-root-ca")
    assert _known(loop, pki.cas["root"]["status"]) == (True, "ACTIVE")
    assert _known(loop, pki.cas["issuing"]["parent"]) == (True, "root")  # plain facts of the new CA too
    assert _known(loop, pki.cas["issuing"]["arn"])[0] is False
    assert _known(loop, pki.external_csrs["partner"]) == (True, "csr-of-pr-partner-ca")
