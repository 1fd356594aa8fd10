"""Triggers: see the package's modules; `blueprint` is what function_app registers."""
import azure.durable_functions as df

blueprint = df.Blueprint()
