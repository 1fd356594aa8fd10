"""With --state-dir, a restarted emulator keeps files, jobs (still progressing, even paused), deployments
and the chat log."""

from __future__ import annotations

from pathlib import Path

from local.aoai.launch import start_emulator
from tests.emulator.conftest import arm_client, azure_openai
from tests.emulator.flows import BASE_MODEL, SAMPLE, chat, deploy, deploy_base, upload, wait_job, wait_trained
from tests.support.emulator import EmulatorAdmin, messages_sha256

ANTARCTICA = [{"role": "user", "content": "Who discovered Antarctica?"}]


def test_restart_keeps_state_and_job_keeps_running(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    args = ["--state-dir", str(state_dir)]
    first = start_emulator(tmp_path, job_seconds=3.0, deploy_seconds=0.2, extra_args=args)
    try:
        client = azure_openai(first, max_retries=0)
        training = upload(client, SAMPLE / "training.jsonl")
        job = client.fine_tuning.jobs.create(
            model=BASE_MODEL, training_file=training.id, seed=105, metadata={"run": "restart"}
        )
        deploy_base(arm_client(first), "base")
        base_answer = chat(client, "base", "hello")
        wait_trained(client, job.id)
        client.fine_tuning.jobs.pause(job.id)
    finally:
        first.stop()
    assert (state_dir / "state.json").exists()

    second = start_emulator(tmp_path, job_seconds=3.0, deploy_seconds=0.2, extra_args=args)
    try:
        client = azure_openai(second, max_retries=0)
        assert client.files.retrieve(training.id).filename == "training.jsonl"
        assert wait_job(client, job.id, frozenset({"paused"})).metadata == {"run": "restart"}
        client.fine_tuning.jobs.resume(job.id)
        finished = wait_job(client, job.id)
        assert finished.status == "succeeded" and finished.fine_tuned_model
        assert client.files.content(finished.result_files[0]).text.startswith("step,train_loss")
        assert chat(client, "base", "hello") == base_answer  # deterministic across restarts
        deploy(arm_client(second), "tuned", finished.fine_tuned_model)
        assert chat(client, "tuned", "Who discovered Antarctica?").startswith("Some chaps")
        admin = EmulatorAdmin.of(second)
        assert sorted(d["name"] for d in admin.state()["deployments"]) == ["base", "tuned"]
        assert admin.chat_counts()[("tuned", messages_sha256(ANTARCTICA))] == 1
        assert len(admin.chat_log()) == 3  # the answer from before the restart is still counted
    finally:
        second.stop()
