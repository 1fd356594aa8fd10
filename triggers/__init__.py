"""Triggers: how runs start and are watched (the blob trigger and the HTTP API)."""

from triggers import blob, http_api

BLUEPRINTS = (blob.blueprint, http_api.blueprint)
