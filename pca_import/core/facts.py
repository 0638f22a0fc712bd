"""Parsed facts about one import request, computed once and shared by every rule.

Every expensive step (DER parsing, extension decoding, signature checks) is cached here, so the
engine does each of them at most once however many rules look at the result.
"""
from __future__ import annotations

import datetime as dt

from cryptography import x509

from pca_import.core import clock
from pca_import.core.certinfo import (  # noqa: F401 (re-exported: rules read certificates through facts)
    CertInfo, cached_property, certificate_facts, names_chain, short_name, signature_status, signed_by, spki_der, why)
from pca_import.core.chain_order import ChainOrder
from pca_import.core.names import name_key
from pca_import.core.pem import PemDocument, split_pem
from pca_import.core.spec import CA_TYPES, MAX_CHAIN_BYTES

ROOT, SUBORDINATE = CA_TYPES


class Facts:
    """Everything the rules may look at for one request."""

    def __init__(self, certificate_doc: PemDocument, chain_doc: PemDocument, chain_given: bool,
                 csr_bytes: bytes | None, requested_type: str | None, ca_status: str | None, profile: str,
                 now: dt.datetime, expiry_warning_days: int) -> None:
        self.certificate_doc, self.chain_doc, self.chain_given = certificate_doc, chain_doc, chain_given
        self.csr_bytes, self.requested_type, self.ca_status = csr_bytes, requested_type, ca_status
        self.profile, self.now, self.expiry_warning_days = profile, now, expiry_warning_days
        self.certificate: CertInfo | None = None
        self.chain: list[CertInfo] = []
        self.cert: x509.Certificate | None = None  # the imported certificate, parsed
        self.canonical_chain: bytes | None = None    # the chain's canonical PEM, as it would be sent
        self.chain_over_limit = False

    @classmethod
    def build(cls, certificate, chain, *, csr, ca_type, ca_status, profile, now, expiry_warning_days) -> "Facts":
        cert_doc = split_pem(certificate)
        chain_doc = split_pem(chain)
        facts = cls(
            certificate_doc=cert_doc, chain_doc=chain_doc,
            chain_given=not chain_doc.empty,
            csr_bytes=csr if not isinstance(csr, str) else csr.encode(),
            requested_type=ca_type.upper() if ca_type else None,
            ca_status=ca_status.upper() if ca_status else None,
            profile=profile, now=now or clock.now(),
            expiry_warning_days=expiry_warning_days,
        )
        cert_blocks = cert_doc.certificate_blocks
        if len(cert_blocks) == 1:
            facts.certificate = CertInfo("certificate", cert_blocks[0].der, cert_blocks[0].pem)
        chain_blocks = chain_doc.certificate_blocks
        pems = [b.pem for b in chain_blocks if b.pem is not None]
        facts.canonical_chain = b"".join(pems) if pems else None
        # Over AWS's 2 MB, SIZE002 is certain and the chain must be cut anyway: its certificates are not parsed
        # or analysed (thousands of them would cost seconds), and the engine says which rules waited.
        facts.chain_over_limit = facts.canonical_chain is not None and len(facts.canonical_chain) > MAX_CHAIN_BYTES
        if not facts.chain_over_limit:
            facts.chain = [CertInfo(f"chain[{i}]", b.der, b.pem) for i, b in enumerate(chain_blocks)]
        facts.cert = facts.certificate.cert if facts.certificate else None
        return facts

    # ---- derived facts -------------------------------------------------------------------------

    @cached_property
    def chain_parsed(self) -> bool:
        return all(c.cert is not None for c in self.chain)

    @cached_property
    def parsed_path(self) -> list[CertInfo]:
        """The certificate and chain entries that parsed, in the order given."""
        return [c for c in self.path if c.cert is not None]

    @cached_property
    def with_extensions(self) -> list[CertInfo]:
        """Parsed certificates whose extensions could be read too."""
        return [c for c in self.parsed_path if c.extensions is not None]

    @cached_property
    def ca_type(self) -> str | None:
        """ROOT or SUBORDINATE: as requested, else inferred (self-signed means root)."""
        if self.requested_type:
            return self.requested_type
        if self.cert is None:
            return None
        return ROOT if self.certificate.self_signed else SUBORDINATE

    @cached_property
    def path(self) -> list[CertInfo]:
        """The certificate followed by the chain, in the order given."""
        return ([self.certificate] if self.certificate else []) + self.chain

    @cached_property
    def canonical_certificate(self) -> bytes | None:
        if self.certificate is None or self.certificate.pem is None:
            return None
        return self.certificate.pem

    @cached_property
    def _csr_parsed(self) -> tuple:
        """(csr, its SPKI, its subject key, error): parsed once, defensively (a CSR may come from anywhere)."""
        data = self.csr_bytes
        if not data:
            return None, None, None, None
        try:
            csr = x509.load_pem_x509_csr(data) if b"-----BEGIN" in data else x509.load_der_x509_csr(data)
            subject = csr.subject
            return csr, spki_der(csr.public_key()), name_key(subject), None
        except Exception as exc:  # noqa: BLE001 - bad version, off-curve point, unsupported key, bad names
            return None, None, None, why(exc)

    @property
    def csr(self) -> x509.CertificateSigningRequest | None:
        return self._csr_parsed[0]

    @property
    def csr_spki(self) -> bytes | None:
        return self._csr_parsed[1]

    @property
    def csr_subject_key(self):
        return self._csr_parsed[2]

    @property
    def csr_error(self) -> str | None:
        return self._csr_parsed[3]

    # ---- the chain's order (chain_order.py) ------------------------------------------------------------

    @cached_property
    def order(self):
        """The chain analysed: broken links, and an order that works when there is one (chain_order.ChainOrder)."""
        return ChainOrder(self)

    @property
    def issuer_path(self) -> list[CertInfo] | None:
        """The certificate followed by its issuers in a working order, or None when no order works.

        What every rule about the path (path length, depth, validity nesting, name constraints) walks."""
        if self.certificate is None or self.certificate.cert is None:
            return None
        if not self.chain:
            return [self.certificate]
        if not self.chain_parsed:
            return None
        return self.order.issuer_path
