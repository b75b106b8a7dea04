"""Hostile workbooks sent to a running service (issue #9 part 6): each costs a worker seconds, not minutes; the
client gets a Chinese answer; the service and its other requests live on."""

from __future__ import annotations

import time

import pytest

from service_hostile import entity_attack, far_corner, zip_bomb
from service_support import EXAMPLES, has_chinese, running_service

SECONDS = 4


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_service(tmp_path_factory.mktemp("hostile"), "--seconds", str(SECONDS), "--memory-mb", "400") as running:
        yield running


@pytest.fixture(scope="module")
def hostile_files():
    return {"zip-bomb.xlsx": zip_bomb(), "entities.xlsx": entity_attack(), "far-corner.xlsx": far_corner()}


@pytest.mark.parametrize("name", ["zip-bomb.xlsx", "entities.xlsx", "far-corner.xlsx"])
def test_a_hostile_file_costs_seconds_and_the_service_lives_on(service, hostile_files, name):
    with service.client(timeout=120) as client:
        started = time.monotonic()
        answer = client.post("/api/v1/check", files=[("files", (name, hostile_files[name])),
                                                     ("files", (EXAMPLES[0].name, EXAMPLES[0].read_bytes()))])
        elapsed = time.monotonic() - started
        assert answer.status_code == 200
        hostile, good = answer.json()
        assert elapsed < SECONDS * 3, f"{name} took {elapsed:.1f} s"
        assert "root:" not in answer.text  # no external entity was resolved
        if "error" in hostile:
            assert hostile["error"].startswith(f"{name}：") and has_chinese(hostile["error"])
        assert good["total"] is not None  # the file beside it was checked as usual
        scored = client.post("/api/v1/scored", files=[("file", (name, hostile_files[name]))])
        assert scored.status_code in (200, 422)
        if scored.status_code == 422:
            assert scored.json()["detail"].startswith(f"{name}：")
        assert "root:" not in scored.text
        after = client.post("/api/v1/check", files=[("files", (EXAMPLES[1].name, EXAMPLES[1].read_bytes()))])
        assert after.status_code == 200 and after.json()[0]["total"] is not None
    assert service.process.poll() is None
    assert "Traceback" not in service.log()


def test_a_zip_of_uploads_is_bounded(tmp_path):
    import io
    import zipfile

    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(30):
            archive.writestr(f"表{i}.xlsx", b"x")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("大.xlsx", "w", force_zip64=True) as entry:
            for _ in range(8):
                entry.write(b"\0" * 2**20)
    with running_service(tmp_path, "--max-body-mb", "2") as service, service.client() as client:
        # Settings.max_files is the entries' bound; the body limit (2 MB) bounds each unpacked file here.
        too_big = client.post("/api/v1/summary", files=[("files", ("炸弹.zip", bomb.getvalue()))])
        fine = client.post("/api/v1/summary", files=[("files", ("多个.zip", many.getvalue()))])
        not_zip = client.post("/api/v1/summary", files=[("files", ("假的.zip", b"not a zip"))])
    assert too_big.status_code == 413 and "炸弹.zip" in too_big.json()["detail"]
    assert fine.status_code == 200  # 30 unreadable forms: a summary of 30 读取失败 rows
    assert not_zip.status_code == 422 and has_chinese(not_zip.json()["detail"])
    assert "Traceback" not in service.log()
