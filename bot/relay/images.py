"""``POST /v1/images/generations`` (RELAY_API.md §4.1): DALL·E."""

from __future__ import annotations

from typing import Literal

from bot.lenient import as_dict, as_list, opt_str
from bot.relay.envelopes import error_in_body
from bot.relay.errors import RelayDecodeError
from bot.relay.transport import Transport
from bot.relay.types import ImageResult
from bot.relay.wire import ImageRequest

PATH = "/v1/images/generations"


def parse_images(body: object) -> tuple[ImageResult, ...]:
    if (error := error_in_body(body)) is not None:
        raise error
    results = tuple(
        ImageResult(
            url=opt_str(item.get("url")),
            b64_json=opt_str(item.get("b64_json")),
            revised_prompt=opt_str(item.get("revised_prompt")),
        )
        for item in map(as_dict, as_list(as_dict(body).get("data")))
    )
    usable = tuple(r for r in results if r.url or r.b64_json)
    if not usable:
        raise RelayDecodeError("the image answer has no image")
    return usable


class ImagesResource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def generate(
        self,
        prompt: str,
        *,
        model: str = "dall-e-3",
        n: int | None = None,
        size: str | None = None,
        quality: str | None = None,
        style: str | None = None,
        response_format: Literal["url", "b64_json"] | None = None,
        user: str | None = None,
    ) -> tuple[ImageResult, ...]:
        """Paid: never retried after the request was sent."""
        body: ImageRequest = {"model": model, "prompt": prompt}
        if n is not None:
            body["n"] = n
        if size is not None:
            body["size"] = size
        if quality is not None:
            body["quality"] = quality
        if style is not None:
            body["style"] = style
        if response_format is not None:
            body["response_format"] = response_format
        if user is not None:
            body["user"] = user
        return parse_images(await self._transport.request_json("POST", PATH, json_body=body))
