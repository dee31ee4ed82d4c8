"""A simulated AI relay for tests and demos: every endpoint of RELAY_API.md §10.

Everything it says is made up and labelled so: answers contain "(simulated)", embeddings
name their model "… (simulated)", every image, audio and video file carries a SIMULATED
note in its metadata (:data:`bot.sim.media.SIMULATED_NOTE`), the banner says "SIMULATED
relay". Media links point at placeholder files it serves itself under ``/sim/media/``
(valid PNG, MP3, Ogg/Opus, WAV, MP4)::

    async with SimRelay(api_key="sk-sim", steps=3) as sim:
        ...  # talk to sim.base_url; inspect sim.requests; sim.add_fault(Fault(...))

Magic words (anywhere in the prompt / user message):

Midjourney submit prompts
    ``[banned]``      code 24 "可能包含敏感词", ``properties.bannedWord`` = ``"banned"``
    ``[queue-full]``  code 23 "队列已满，请稍后尝试", no task
    ``[queued]``      code 22 with ``properties.numberOfQueues`` (a task is created;
                      new-api mode rewrites it to code 1 like the real relay)
    ``[no-account]``  code 3 "无可用的账号实例", no task
    ``[fail]``        the task runs, then ends in FAILURE with a ``failReason``
    ``[takes 40s]``   the task moves with the clock and ends 40 s after it started
Chat and completions
    ``[long]``        a ~9,000-character answer with paragraphs and a fenced code block
    ``[inline]``      an answer with two ``data:`` images: a real PNG and ~200 KB of text
                      declared ``image/png``
    model ``nope*``   (or any model outside the sim's list) 503 "无可用渠道" model_not_found
    ``gpt-4-all``     a prompt with an http(s) URL is analysed; one asking to draw/画/paint
                      gets a markdown image; ``stable-diffusion*`` always draws
DALL·E
    ``[policy]``      HTTP 400 ``content_policy_violation``
Suno and Luma
    ``[fail]``        the job ends failed (Suno clips ``error``, Luma ``failed``)

Long jobs advance one step per poll (see :mod:`bot.sim.progress`). Faults: :class:`Fault`.
``run_forever`` backs ``relaybot sim-relay``; ``python -m bot.sim`` does the same.
"""

from __future__ import annotations

from bot.sim.faults import Fault
from bot.sim.recording import RecordedRequest
from bot.sim.runner import run_forever
from bot.sim.server import SimRelay

__all__ = ["Fault", "RecordedRequest", "SimRelay", "run_forever"]
