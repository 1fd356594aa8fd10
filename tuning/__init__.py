"""The domain library: dataset validation, tokenizers, model catalog, settings, Azure clients,
reports and a command line (`python -m tuning`). Usable without Azure Functions."""
