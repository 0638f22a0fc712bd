"""The provider classes existing state refers to by name. Pulumi pickles each dynamic provider object *by
reference* (module + class name) into every resource's state: renaming or moving one breaks every stack that
holds one. This list is the contract; README "Pickled provider classes" documents it."""
from __future__ import annotations

import base64
import importlib

import pytest
from pulumi.dynamic.dynamic import serialize_provider

PICKLED = ["pca_import.provider.CaCertificateImportProvider", "pca_import.ca_resources.PrivateCaProvider",
           "pca_import.ca_resources.IssuedCaCertificateProvider", "pca_import.offline_signer.OfflineSignerProvider"]


@pytest.mark.parametrize("dotted", PICKLED)
def test_provider_class_is_importable_under_its_name_and_pickled_by_reference(dotted):
    module, name = dotted.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), name)
    blob = base64.b64decode(serialize_provider(cls()))
    assert module.encode() in blob and name.encode() in blob
    assert len(blob) < 200, f"{dotted} pickled {len(blob)} bytes: it is carrying state or code, not a reference"
