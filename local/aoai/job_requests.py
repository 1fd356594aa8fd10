"""A fine-tuning job request, checked the way each surface's spec says.

The two surfaces differ where their specs do: the authoring spec's suffix is "up to 40
characters (a-z, A-Z, 0-9, - and _)" and its seed any int32 (so -1 is valid); OpenAI's suffix
is 1-64 characters of anything and its seed 0..2147483647. Both take the method's
hyperparameters (DPO adds `beta` and the authoring spec's `l2_multiplier`), Azure's
`trainingType` (checked against the model catalog) and `metadata`. The authoring spec has no
`metadata` on jobs: the emulator stores and filters it on both surfaces, as the service's
OpenAI-compatible backend does on /openai/v1/, and says so in README.md.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from local.aoai import catalog, training
from local.aoai.catalog import BaseModel
from local.aoai.context import Emulator
from local.aoai.datasets import Dataset
from local.aoai.errors import invalid
from local.aoai.state import FileRecord, JobRecord
from local.aoai.surfaces import Surface

__all__ = ["MIN_EXAMPLES", "JobSpec", "parse_job", "resolve_hyperparameters", "validation_failure"]

AZURE_SUFFIX = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
INT32 = (-(2**31), 2**31 - 1)
V1_SEED = (0, 2**31 - 1)
# "Fine tuning jobs will not proceed without at least 10 training examples" (fine-tuning-rest.md).
MIN_EXAMPLES = 10
METHODS = {Surface.V1: ("supervised", "dpo", "reinforcement"), Surface.AUTHORING: ("supervised", "dpo")}
SUPERVISED_HYPERPARAMETERS = ("n_epochs", "batch_size", "learning_rate_multiplier")
DPO_HYPERPARAMETERS = (*SUPERVISED_HYPERPARAMETERS, "beta", "l2_multiplier")


@dataclass(frozen=True)
class JobSpec:
    base: BaseModel
    model: str
    method: str
    hyperparameters: dict[str, Any]
    training_file: FileRecord
    validation_file: FileRecord | None
    suffix: str | None
    seed: int
    metadata: dict[str, str] | None
    training_type: str


def _resolve_model(emu: Emulator, model: Any) -> tuple[BaseModel, str]:
    """The base model and the model the job reports: a base (dated or not) or a fine-tuned model."""
    if not isinstance(model, str) or not model:
        raise invalid("Missing required parameter: 'model'.", param="model")
    base = catalog.base_for_fine_tuning(model)
    if base is not None:
        return base, base.dated_id
    parent = next((j for j in emu.store.jobs.values() if j.fine_tuned_model == model), None)
    parent_base = (
        catalog.base_for_fine_tuning(parent.fine_tuned_model_name.partition(".ft-")[0]) if parent else None
    )
    if parent_base is None:
        raise invalid(f"The specified base model '{model}' does not support fine-tuning.", param="model")
    return parent_base, model


def _method(body: dict[str, Any], base: BaseModel, surface: Surface) -> str:
    method = body.get("method") or {"type": "supervised"}
    kind = method.get("type") if isinstance(method, dict) else None
    if kind not in METHODS[Surface.V1 if surface is Surface.V1 else Surface.AUTHORING]:
        raise invalid(f"Invalid value for method.type: {kind!r}.", param="method.type")
    assert base.fine_tuning is not None
    if kind not in base.fine_tuning.methods:
        raise invalid(
            f"The fine-tuning method '{kind}' is not supported for model {base.dated_id}; supported: "
            f"{', '.join(sorted(base.fine_tuning.methods))}.",
            param="method.type",
        )
    return str(kind)


def _check_hyperparameter(name: str, value: Any) -> None:
    if value == "auto":
        return
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    checks = {
        "n_epochs": (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 50, "1 to 50"),
        "batch_size": (
            isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 256,
            "1 to 256",
        ),
        "learning_rate_multiplier": (number and value > 0, "greater than 0"),
        "beta": (number and 0 < value <= 2, "greater than 0 and at most 2"),
        "l2_multiplier": (number and value >= 0, "at least 0"),
    }
    valid, bounds = checks[name]
    if not valid:
        raise invalid(
            f"Invalid hyperparameter {name}={value!r}: must be 'auto' or {bounds}.",
            param=f"hyperparameters.{name}",
        )


def _hyperparameters(body: dict[str, Any], method: str) -> dict[str, Any]:
    """Top-level `hyperparameters` overlaid by the method's own, each checked against its range."""
    method_block = (body.get("method") or {}).get(method) or {}
    top, own = body.get("hyperparameters") or {}, method_block.get("hyperparameters") or {}
    if not isinstance(top, dict) or not isinstance(own, dict):
        raise invalid("'hyperparameters' must be an object.", param="hyperparameters")
    allowed = DPO_HYPERPARAMETERS if method == "dpo" else SUPERVISED_HYPERPARAMETERS
    given = {**top, **own}
    for name, value in given.items():
        if name not in allowed:
            raise invalid(
                f"Unknown hyperparameter '{name}' for method '{method}'.", param=f"hyperparameters.{name}"
            )
        _check_hyperparameter(name, value)
    return given


def resolve_hyperparameters(given: dict[str, Any], method: str, examples: int) -> dict[str, Any]:
    """Replace 'auto' (or absent) hyperparameters with the values the job will use."""
    defaults: dict[str, Any] = {
        "n_epochs": training.auto_epochs(examples),
        "batch_size": training.auto_batch_size(examples),
        "learning_rate_multiplier": 1.0,
    }
    if method == "dpo":
        defaults |= {"beta": 0.1, "l2_multiplier": 0.1}
    return {
        name: default if given.get(name, "auto") == "auto" else given[name]
        for name, default in defaults.items()
    }


def _training_input(emu: Emulator, file_id: Any, param: str) -> FileRecord:
    """A file a job may train on: it exists, is `fine-tune`, processed and valid."""
    if not isinstance(file_id, str) or not file_id:
        raise invalid(f"Missing required parameter: '{param}'.", param=param)
    record = emu.store.files.get(file_id)
    if record is None:
        raise invalid(f"Invalid {param}: no file with id '{file_id}' exists.", param=param)
    if record.purpose != "fine-tune":
        raise invalid(f"File {file_id} has purpose '{record.purpose}', not 'fine-tune'.", param=param)
    if record.status == "error":
        raise invalid(f"File {file_id} is not a valid fine-tuning file: {record.problem}", param=param)
    if record.status != "processed":
        raise invalid(f"File {file_id} is still being processed; wait until it is processed.", param=param)
    return record


def _suffix(value: Any, surface: Surface) -> str | None:
    if value is None:
        return None
    if surface is Surface.V1:
        if not isinstance(value, str) or not 1 <= len(value) <= 64:
            raise invalid("'suffix' must be a string of 1 to 64 characters.", param="suffix")
    elif not isinstance(value, str) or not AZURE_SUFFIX.match(value):
        raise invalid("'suffix' can contain up to 40 characters (a-z, A-Z, 0-9, - and _).", param="suffix")
    return value


def _seed(value: Any, surface: Surface) -> int:
    if value is None:
        return secrets.randbelow(2**31)
    low, high = V1_SEED if surface is Surface.V1 else INT32
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"'seed' must be an integer from {low} to {high}.", param="seed")
    return value


def _metadata(metadata: Any) -> dict[str, str] | None:
    if metadata is None:
        return None
    valid = (
        isinstance(metadata, dict)
        and len(metadata) <= 16
        and all(
            isinstance(k, str) and len(k) <= 64 and isinstance(v, str) and len(v) <= 512
            for k, v in metadata.items()
        )
    )
    if not valid:
        raise invalid(
            "'metadata' must map at most 16 keys (up to 64 characters) to strings of up to 512 characters.",
            param="metadata",
        )
    return metadata


def _training_type(value: Any, base: BaseModel) -> str:
    """Azure's `trainingType` (sent as extra body); Standard when absent, as the service defaults."""
    if value is None:
        value = "Standard"
    canonical = catalog.canonical_training_type(value) if isinstance(value, str) else None
    assert base.fine_tuning is not None
    if canonical is None or canonical not in base.fine_tuning.training_types:
        supported = ", ".join(t for t in catalog.TRAINING_TYPES if t in base.fine_tuning.training_types)
        raise invalid(
            f"{value} TrainingType is not supported for model {base.dated_id}; supported: {supported}.",
            param="trainingType",
        )
    return canonical


def parse_job(emu: Emulator, body: dict[str, Any], surface: Surface) -> JobSpec:
    base, model = _resolve_model(emu, body.get("model"))
    method = _method(body, base, surface)
    given = _hyperparameters(body, method)
    training_file = _training_input(emu, body.get("training_file"), "training_file")
    validation_id = body.get("validation_file")
    validation_file = (
        None if validation_id is None else _training_input(emu, validation_id, "validation_file")
    )
    if body.get("integrations") is not None and not isinstance(body["integrations"], list):
        raise invalid("'integrations' must be a list.", param="integrations")
    return JobSpec(
        base=base,
        model=model,
        method=method,
        hyperparameters=given,
        training_file=training_file,
        validation_file=validation_file,
        suffix=_suffix(body.get("suffix"), surface),
        seed=_seed(body.get("seed"), surface),
        metadata=_metadata(body.get("metadata")),
        training_type=_training_type(body.get("trainingType"), base),
    )


def validation_failure(job: JobRecord, dataset: Dataset) -> dict[str, Any] | None:
    """Why the service fails this job while validating its files (OpenAI's error codes), or None."""
    if len(dataset.examples) < MIN_EXAMPLES:
        return {
            "code": "invalid_n_examples",
            "message": f"Training file has {len(dataset.examples)} example(s), but must have at least "
            f"{MIN_EXAMPLES} examples.",
            "param": "training_file",
        }
    expected = "dpo" if job.method["type"] == "dpo" else "chat"
    if dataset.kinds != {expected}:
        return {
            "code": "invalid_training_file",
            "message": f"The training file does not hold {expected} examples for the "
            f"'{job.method['type']}' method.",
            "param": "training_file",
        }
    return None
