"""Size rules, measured on exactly the canonical bytes pca-import would send."""
from __future__ import annotations

from pca_import.core.rules.registry import ERROR, rule

from pca_import.core.spec import MAX_CERTIFICATE_BYTES as MAX_CERTIFICATE, MAX_CHAIN_BYTES as MAX_CHAIN, RAW_LIMITS


@rule("SIZE001", ERROR, "Certificate at most 32 KB",
      "The maximum allowed size of a certificate is 32 KB.",
      source="aws-api", aws_exception='ValidationException')
def certificate_size(f):
    data = f.canonical_certificate
    if data is not None and len(data) > MAX_CERTIFICATE:
        yield None, (f"certificate is {len(data)} bytes as PEM, over AWS's limit of {MAX_CERTIFICATE}: "
                     "re-issue it with fewer or smaller extensions"), "certificate"


@rule("SIZE002", ERROR, "Chain at most 2 MB",
      "The maximum allowed size of a certificate chain is 2 MB.",
      source="aws-api", aws_exception='ValidationException')
def chain_size(f):
    data = f.canonical_chain
    if data is not None and len(data) > MAX_CHAIN:
        yield None, (f"certificate chain is {len(data)} bytes as PEM, over AWS's limit of {MAX_CHAIN}: "
                     "include only the issuers of this certificate up to the root"), "chain"




@rule("SIZE003", ERROR, "Inputs AWS could never accept are refused before parsing",
      "The maximum allowed size of a certificate is 32 KB; of a certificate chain, 2 MB.",
      needs=("raw",), source="aws-api", aws_exception='ValidationException')
def raw_size(raw):
    """Runs on the raw inputs, before anything is parsed (a 100 MB paste costs nothing); `raw` maps
    `certificate`/`chain`/`csr` to what was given."""
    for where, data in raw.items():
        if data is None:
            continue
        size = len(data)  # a str's UTF-8 length is at least its length in characters: enough to refuse
        if isinstance(data, str) and RAW_LIMITS[where] // 4 < size <= RAW_LIMITS[where]:
            size = len(data.encode("utf-8", "surrogateescape"))
        if size > RAW_LIMITS[where]:
            yield None, (f"{where} is {size} bytes, over the {RAW_LIMITS[where]} bytes pca-import reads (AWS accepts "
                         f"at most {MAX_CERTIFICATE} for the certificate and {MAX_CHAIN} for the chain): it was not "
                         "parsed — pass only the CA certificate and its issuers"), where
