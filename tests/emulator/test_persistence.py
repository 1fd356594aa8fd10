"""With --state-dir, a restarted emulator keeps files, jobs (still progressing) and deployments."""

from __future__ import annotations

from pathlib import Path

from local.aoai.launch import start_emulator
from tests.emulator.conftest import arm_client, azure_openai
from tests.emulator.flows import BASE_MODEL, SAMPLE, chat, deploy, upload, wait_job
from tests.support.emulator import EmulatorAdmin


def test_restart_keeps_state_and_job_keeps_running(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    first = start_emulator(tmp_path, job_seconds=3.0, extra_args=["--state-dir", str(state_dir)])
    try:
        client = azure_openai(first, max_retries=0)
        training = upload(client, SAMPLE / "training.jsonl")
        job = client.fine_tuning.jobs.create(
            model=BASE_MODEL, training_file=training.id, seed=105, metadata={"run": "restart"}
        )
        deploy(arm_client(first), "base", "gpt-4o")
    finally:
        first.stop()
    assert (state_dir / "state.json").exists()

    second = start_emulator(tmp_path, job_seconds=3.0, extra_args=["--state-dir", str(state_dir)])
    try:
        client = azure_openai(second, max_retries=0)
        assert client.files.retrieve(training.id).filename == "training.jsonl"
        finished = wait_job(client, job.id)
        assert finished.status == "succeeded" and finished.metadata == {"run": "restart"}
        assert client.files.content(finished.result_files[0]).text.startswith("step,train_loss")
        assert "hello" in chat(client, "base", "hello")
        state = EmulatorAdmin.of(second).state()
        assert [d["name"] for d in state["deployments"]] == ["base"]
    finally:
        second.stop()
