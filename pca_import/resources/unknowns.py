"""The Pulumi engine's marker for a value not known until apply, as dynamic providers and policy packs see it.

During a preview an unknown input reaches a provider's check/diff either as a `pulumi.output.Unknown` or as this
RPC sentinel string; policy packs see the sentinel. Pure: no pulumi import.
"""
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
