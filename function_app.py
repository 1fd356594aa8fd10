"""The Functions app: it registers the blueprints and nothing else (see DESIGN.md, "Layout")."""
import azure.durable_functions as df
import azure.functions as func

from activities import blueprint as activities
from orchestrators import blueprint as orchestrators
from triggers import blueprint as triggers

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
for blueprint in (triggers, orchestrators, activities):
    app.register_functions(blueprint)
