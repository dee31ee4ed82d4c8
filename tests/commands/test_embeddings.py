"""/embed and /similar: vector summary, the JSON file, one request for two texts."""

from __future__ import annotations

import json
import math

import pytest

from bot.commands.embeddings import cosine_similarity
from bot.core.texts import t
from bot.sim import Fault
from bot.sim.openai_routes import embedding_vector
from tests.commands.conftest import Bot, body_of, file_bytes

PATH = "/v1/embeddings"
MODEL = "text-embedding-3-small"
SHOWN_MODEL = f"{MODEL} (simulated)"  # the simulator's answers say they are made up


async def test_embed_shows_a_summary_and_attaches_the_whole_vector(console: Bot) -> None:
    out = await console.run("/embed hello world")
    assert body_of(console.sim, PATH)["input"] == "hello world"
    [message] = out.messages()
    expected = embedding_vector(MODEL, "hello world", 1536)
    assert f"Embedding by {SHOWN_MODEL}" in message["text"]
    assert "Dimensions: 1536" in message["text"]
    assert "Norm: 1.0000" in message["text"]
    assert f"[{expected[0]:.4f}, {expected[1]:.4f}," in message["text"]
    [attachment] = message["attachments"]
    assert attachment["kind"] == "file" and attachment["path"].endswith(".json")
    document = json.loads(await file_bytes(attachment["path"]))
    assert document["dimensions"] == 1536 and document["input"] == "hello world"
    assert document["embedding"] == pytest.approx(expected)
    count, units = (await console.usage())["embedding"]
    assert count == 1 and units >= 1


async def test_similar_makes_one_request_with_both_texts(console: Bot) -> None:
    out = await console.run("/similar a small cat | a kitten")
    [request] = console.sim.requests_to(PATH)
    assert request.json["input"] == ["a small cat", "a kitten"]
    score = cosine_similarity(embedding_vector(MODEL, "a small cat", 1536),
                              embedding_vector(MODEL, "a kitten", 1536))
    assert out.texts() == [t("similar.result", score=f"{score:.4f}", model=SHOWN_MODEL)]


async def test_the_same_text_twice_is_perfectly_similar(console: Bot) -> None:
    out = await console.run("/similar same | same")
    assert out.texts() == [t("similar.result", score="1.0000", model=SHOWN_MODEL)]


async def test_input_checks(console: Bot) -> None:
    out = await console.run("/embed", "/similar just one text", "/similar a |   ")
    assert out.texts()[0] == t("input.missing", option="text", usage="/embed <text>")
    assert out.texts()[1] == t("input.no_split", usage="/similar <a> | <b>")
    assert out.texts()[2].startswith(t("input.empty", option="b", usage="").strip())
    assert console.sim.requests_to(PATH) == []


async def test_relay_errors(console: Bot) -> None:
    console.sim.add_fault(Fault("POST", PATH, status=503))
    no_channel = await console.run("/embed x")
    console.sim.add_fault(Fault("POST", PATH, status=429, headers={"Retry-After": "3"}))
    limited = await console.run("/similar x | y")
    console.sim.add_fault(Fault("POST", PATH, status=200, json_body={"object": "list", "data": []}))
    empty = await console.run("/embed x")
    assert no_channel.texts() == [t("error.no_channel")]
    assert limited.texts() == [t("error.rate_limited_retry", seconds=3)]
    assert empty.texts() == [t("error.decode")]


def test_cosine_similarity_edge_cases() -> None:
    assert cosine_similarity([1.0, 0.0], [0.0, 2.0]) == 0.0
    assert cosine_similarity([1.0, 1.0], [-3.0, -3.0]) == pytest.approx(-1.0)
    assert cosine_similarity([0.0, 0.0], [1.0, 0.0]) == 0.0
    assert math.isclose(cosine_similarity([3.0, 4.0], [3.0, 4.0]), 1.0)
    with pytest.raises(ValueError, match="differ in length"):
        cosine_similarity([1.0], [1.0, 2.0])
