"""Azurite starts and the real azure-storage-blob client round-trips a blob through it."""

from azure.storage.blob import BlobServiceClient


def test_blob_round_trip(azurite):
    service = BlobServiceClient.from_connection_string(azurite.extra["connection_string"])
    container = service.get_container_client("smoke")
    container.create_container()
    container.upload_blob("incoming/x/training.jsonl", b'{"a": 1}\n')
    assert container.download_blob("incoming/x/training.jsonl").readall() == b'{"a": 1}\n'
