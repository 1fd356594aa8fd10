"""The dev host: runs the Functions app on one machine without Azure Functions Core Tools.

`python -m local.host` loads `function_app.app`, serves its HTTP routes, polls its blob
triggers and runs its durable orchestrations (see DESIGN.md, "Running it").
"""
