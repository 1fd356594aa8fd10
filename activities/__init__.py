"""Activities: one thin function per step's I/O; the work lives in tuning.steps."""

from activities import deployment, storage, training

BLUEPRINTS = (storage.blueprint, training.blueprint, deployment.blueprint)
