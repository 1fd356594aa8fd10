"""The dev host: runs the Functions app on one machine without Azure Functions Core Tools.

`python -m local.host` loads the app object of `function_app.py` (whatever its name, as the Python
worker does), serves its HTTP routes, polls its blob triggers, and runs its durable orchestrations,
activities and entities (see README.md in this folder and DESIGN.md, "Running it").
"""
