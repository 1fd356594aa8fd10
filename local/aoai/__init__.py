"""An Azure OpenAI + Azure Resource Manager emulator for local runs and tests, faithful to the specs.

`python -m local.aoai` serves the data-plane operations a fine-tuning workflow uses (files,
uploads, fine-tuning jobs with pause/resume, chat completions with streaming and JSON output)
on both route styles, each answering as its spec says (the Azure authoring and inference specs on
`/openai/...?api-version=`, OpenAI's document on `/openai/v1/`), and the ARM deployment
operations of the Microsoft.CognitiveServices spec. The real `openai` and
`azure-mgmt-cognitiveservices` clients work against it unchanged. See README.md.
"""
