"""The Functions app: it registers the blueprints and nothing else (see DESIGN.md, "Layout")."""

import azure.durable_functions as df
import azure.functions as func

import activities
import orchestrators
import triggers

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
for blueprint in (*triggers.BLUEPRINTS, *orchestrators.BLUEPRINTS, *activities.BLUEPRINTS):
    app.register_functions(blueprint)
