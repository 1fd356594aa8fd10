"""An Azure OpenAI + Azure Resource Manager emulator for local runs and tests.

`python -m local.aoai` serves the data-plane routes the fine-tuning pipeline uses (files,
uploads, fine-tuning jobs, chat completions; both the `api-version` and the `/openai/v1/`
styles) and the ARM deployment routes, so the real `openai` and
`azure-mgmt-cognitiveservices` clients work against it unchanged. See README.md.
"""
