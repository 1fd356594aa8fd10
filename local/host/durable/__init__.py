"""The durable engine: the Durable Task side of the replay protocol, backed by SQLite.

The official `azure-functions-durable` executor runs the orchestrator code; this package
plays the Functions host + Durable extension role around it (history, actions, timers,
activities, entities, versioning, the management HTTP API) so that app code runs unchanged.
"""
