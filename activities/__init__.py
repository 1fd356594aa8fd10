"""Activities: every step of tuning.steps, registered under its handle's name (tuning.handles).

The steps are grouped by the service they talk to only in tuning/; here one blueprint holds them
all, because registering is the same one line for each.
"""

import azure.durable_functions as df

from activities.runtime import register
from tuning.steps import STEPS

__all__ = ["BLUEPRINTS"]

blueprint = df.Blueprint()
for handle, step in STEPS.items():
    register(blueprint, handle, step)

BLUEPRINTS = (blueprint,)
