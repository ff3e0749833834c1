"""`perfscore serve` keeps answering while a long /api/score answer is built (in a worker thread)."""

import socket
import threading
import time
from decimal import Decimal

import pytest

uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx2")

from conftest import GOUMAI


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_get_answers_while_a_score_answer_is_being_built(monkeypatch, tmp_path):
    from perfscore.web import app as web, engine

    building, release = threading.Event(), threading.Event()
    original = engine.result_json

    def held(scored):  # the JSON of a result stays unbuilt until the GET below has its answer
        building.set()
        release.wait(60)
        return original(scored)

    monkeypatch.setattr(engine, "result_json", held)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(web.create_app(temp_root=tmp_path), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/"
    answer: dict = {}

    def post():
        answer["score"] = httpx.post(url + "api/score", files=[("files", (GOUMAI.name, GOUMAI.read_bytes()))],
                                     data={"policy": "liaoning"}, timeout=120)

    poster = threading.Thread(target=post)
    try:
        while not server.started:
            time.sleep(0.05)
        poster.start()
        assert building.wait(60)
        page = httpx.get(url, timeout=30)  # the loop is free: the page comes while the answer waits
        held_still = not release.is_set() and "score" not in answer
    finally:
        release.set()
        poster.join(120)
        server.should_exit = True
        thread.join(30)
    assert page.status_code == 200 and "perfscore" in page.text and held_still
    [result] = answer["score"].json()["results"]
    assert (result["name"], Decimal(str(result["total"])), result["grade"]) == ("政府购买法律服务", Decimal("98.32"), "优")
