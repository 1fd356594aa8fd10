"""Triggers: how runs start and are watched (blob trigger, HTTP API) and kept honest (reconciler)."""

from triggers import blob, http_api, reconciler

__all__ = ["BLUEPRINTS"]

BLUEPRINTS = (blob.blueprint, http_api.blueprint, reconciler.blueprint)
