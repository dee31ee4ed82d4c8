"""English: the reference catalogue. Every key exists here first; other languages mirror it."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from bot.core.texts.en_community import EN_COMMUNITY

EN: Final[Mapping[str, str]] = MappingProxyType({
    # --- generic -------------------------------------------------------------------
    "generic.error": "Something went wrong on my side. Please try again in a moment.",
    "generic.unknown_command": "I don't know the command /{command}. "
    "Send /help to see what I can do.",
    "generic.button_expired": "This button no longer works. Run the command again.",
    "generic.not_your_button": "Only the person who ran the command can press this button.",
    "generic.cancelled": "Cancelled.",
    "questions.answered": "That question was already answered. Press the button again to "
    "be asked anew.",
    "questions.cancelled": "Cancelled: that question is closed.",
    "questions.expired": "That question has expired (or a newer one replaced it). Press the "
    "button again to be asked anew.",
    "stream.writing": "✍️ still writing…",
    "stream.interrupted": "⚠️ The answer was cut off: {reason}",
    "stream.empty": "(The model sent an empty answer.)",
    "stream.capped": "✂️ The answer was stopped at {limit} characters.",
    "stream.inline_dropped": "(Left out {count} embedded file(s) that are not a picture, "
    "sound or video I can send.)",
    "stream.inline_over_limit": "(Left out {count} more embedded file(s): one answer sends "
    "at most 10, and one upload's worth in all.)",
    # --- input checks --------------------------------------------------------------
    "input.missing": "Missing “{option}”. Example: {usage}",
    "input.empty": "{option} is empty. Example: {usage}",
    "input.too_long": "{option} is too long: {length} characters, at most {limit} are allowed.",
    "input.not_a_number": "{option} must be a number, not “{value}”.",
    "input.not_an_integer": "{option} must be a whole number, not “{value}”.",
    "input.not_a_bool": "{option} must be yes or no, not “{value}”.",
    "input.too_small": "{option} must be at least {minimum}.",
    "input.too_big": "{option} must be at most {maximum}.",
    "input.unknown_choice": "“{value}” is not a valid {option}. Allowed: {allowed}.",
    "input.unknown_option": "/{command} has no option “{option}”. Options: {allowed}.",
    "input.unknown_option_text": "/{command} has no option “{option}=”. Its options: "
    "{allowed}\nIf “{option}=” is part of your text, put a backslash before the “=”: "
    "`{option}\\=`",
    "input.attachment_as_text": "{option} takes a file sent with the message, "
    "not the text “{value}”.",
    "input.file_for_text_option": "{option} takes text, not a file ({filename}).",
    "input.attachment_missing": "{option}: please attach a file ({what}).",
    "input.attachment_missing_any": "{option}: please attach a file.",
    "input.attachment_kind": "{option} must be {allowed}, but you sent {got}.",
    "input.attachment_too_large": "{filename} is too large ({size}); at most {limit} is allowed.",
    "input.attachment_unreadable": "I could not read {filename}: {reason}",
    "input.extra_text": "“{text}” does not belong to any option: {option} is already given. "
    "Put options after the text, or quote the value: {option}=\"…\"",
    "list.sep": ", ",
    "list.or": " or ",
    "kind.image": "image",
    "kind.audio": "audio",
    "kind.voice": "voice",
    "kind.video": "video",
    "kind.file": "file",
    # Usage placeholders: what stands for a value where the option's name is not typed.
    "usage.file": "file",
    "usage.prompt": "prompt",
    "usage.name": "name",
    "usage.text": "text",
    "usage.a": "a",
    "usage.b": "b",
    "usage.audio": "audio",
    "usage.image": "image",
    "usage.image1": "image1",
    "usage.image2": "image2",
    "usage.face": "face",
    "usage.target": "target",
    "usage.job": "job",
    "usage.who": "who",
    "usage.credits": "credits",
    "usage.daily": "daily",
    "usage.days": "days",
    "usage.chat": "chat",
    "usage.language": "language",
    "input.no_split": "Please give two texts separated by “|”. Example: {usage}",
    # --- relay errors --------------------------------------------------------------
    "error.auth": "The AI service rejected this bot's API key. Please tell the bot's operator.",
    "error.quota": "The bot's AI credit is used up. Please tell the bot's operator to top it up.",
    "error.permission": "This bot may not use that model or feature. Try another one (see /model).",
    "error.content_policy": "The request was refused by the content filter. Please rephrase it.",
    "error.bad_request": "The AI service refused the request: {detail}",
    "error.not_found": "The AI service does not know that model, task or route.",
    "error.rate_limited": "Too many requests right now. Please try again in a minute.",
    "error.rate_limited_retry": "Too many requests right now. Please try again in {seconds} s.",
    "error.no_channel": "No upstream currently serves this model. Try another one (see /model).",
    "error.server": "The AI service is having problems (HTTP {status}). Please try again later.",
    "error.status": "The AI service answered with an error (HTTP {status}).",
    "error.connection": "I could not reach the AI service. Please try again later.",
    "error.timeout": "The AI service took too long to answer. Please try again.",
    "error.decode": "The AI service sent an answer I could not read. Please try again.",
    "error.response_too_large": "The AI service sent an answer over {limit}; I stopped "
    "reading it.",
    "error.banned_prompt": "Midjourney refused the prompt because of the word “{word}”. "
    "Remove it and try again.",
    "error.banned_prompt_unknown": "Midjourney refused the prompt as inappropriate. "
    "Please rephrase it.",
    "error.queue_full": "The image queue is full. Please try again in a few minutes.",
    "error.unknown_action": "The AI service does not support this button.",
    "error.feature_missing": "This relay does not offer {feature}. "
    "Please ask the bot's operator to use a relay that does.",
    "feature.translate": "speech translation (/translate)",
    "feature.midjourney": "Midjourney",
    "feature.suno": "Suno music",
    "feature.luma": "Luma video",
    "error.rejected": "The AI service did not accept the job: {detail}",
    "error.task_failed": "The job failed: {reason}",
    "error.task_failed_unknown": "The job failed without a reason.",
    "error.relay": "The AI service failed: {detail}",
    "error.media_too_large": "The file is too large ({size}); at most {limit} is allowed.",
    "error.media_type": "The file is {got}, but {allowed} was expected.",
    "error.media_unrecognised": "The file was served as {got}, but its contents are not "
    "a {allowed} I recognise, so I did not send it.",
    "error.media_download": "I could not download the file: {reason}",
    # --- commands: one-line descriptions and option descriptions ---------------------
    "cmd.chat": "Chat with the AI (add an image to ask about it)",
    "cmd.chat.prompt": "What you want to say or ask",
    "cmd.chat.model": "Use this model for this message only",
    "cmd.chat.image": "An image to ask about",
    "cmd.model": "Show or set the chat model of this conversation",
    "cmd.model.name": "The model to use from now on",
    "cmd.persona": "Show or set the system prompt of this conversation",
    "cmd.persona.text": "How the AI should behave (“off” removes it)",
    "cmd.reset": "Start a new conversation (forget the history)",
    "cmd.help": "List every command",
    # --- chat and conversation ------------------------------------------------------
    "chat.default_image_prompt": "Describe this image.",
    "chat.image_format": "That file is not a PNG, JPEG, GIF or WebP image, "
    "so I cannot show it to the model.",
    "chat.images_failed": "I could not download some images; here are their links:\n{links}",
    "chat.not_remembered": "(I could not save this exchange, so I will not remember it "
    "in this conversation.)",
    "model.current": "This conversation uses {model}.\nAvailable: {choices}",
    "model.set": "From now on this conversation uses {model}.",
    "model.unknown": "“{value}” is not an available model. Available: {allowed}, "
    "or any GPT as gpt-4-gizmo-<id>.",
    "persona.current": "The system prompt of this conversation:\n{persona}",
    "persona.none": "This conversation has no system prompt. Set one with /persona <text>.",
    "persona.set": "System prompt set. It applies from the next message on.",
    "persona.cleared": "System prompt removed.",
    "reset.done": "Started a new conversation; I forgot the previous messages. "
    "Model and system prompt stay as they were.",
    # --- completion, images, embeddings, audio, speech, settings, voice -------------
    "cmd.complete": "Continue a text with a completion model",
    "cmd.complete.prompt": "The text to continue",
    "cmd.complete.model": "The completion model (default: the configured one)",
    "cmd.complete.max_tokens": "At most this many tokens (1–4096)",
    "complete.cut_off": "(Stopped at {max_tokens} tokens; raise max_tokens for more.)",
    "complete.cut_off_model": "(The model stopped at its length limit.)",
    "cmd.dalle": "Draw a picture with DALL·E 3",
    "cmd.dalle.prompt": "What to draw",
    "cmd.dalle.size": "1024x1024, 1792x1024 (wide) or 1024x1792 (tall)",
    "cmd.dalle.quality": "standard or hd",
    "cmd.dalle.style": "vivid or natural",
    "cmd.sd": "Draw a picture with Stable Diffusion",
    "cmd.sd.prompt": "What to draw",
    "cmd.draw": "Draw a picture with gpt-4-all",
    "cmd.draw.prompt": "What to draw",
    "draw.request": "Draw a picture: {prompt}",
    "dalle.done": "🎨 DALL·E 3, {size}. Revised prompt:\n{prompt}",
    "images.links": "I could not download the image; here is its link "
    "(it expires soon):\n{links}",
    "images.none": "The model answered without an image. Try rephrasing the prompt.",
    "draw.ready": "🎨 Here is your picture.",
    "cmd.embed": "Show the embedding vector of a text",
    "cmd.embed.text": "The text to embed",
    "embed.result": "Embedding by {model}\nDimensions: {dimensions}\nNorm: {norm}\n"
    "First values: {first}\nThe whole vector is in the attached JSON file.",
    "cmd.similar": "How similar two texts are (cosine similarity)",
    "cmd.similar.a": "The first text",
    "cmd.similar.b": "The second text (as text: /similar first | second)",
    "similar.result": "Cosine similarity: {score} (by {model}; 1 means the same meaning, "
    "values near 0 unrelated).",
    "cmd.transcribe": "Turn speech in an audio file or voice message into text",
    "cmd.transcribe.audio": "A voice message or audio file (up to 25 MB)",
    "cmd.translate": "Translate speech in an audio file into English text",
    "cmd.translate.audio": "A voice message or audio file (up to 25 MB)",
    "audio.empty": "{filename} is empty.",
    "audio.no_speech": "I could not hear any speech in that recording.",
    "transcribe.result": "📝 Transcript:\n{text}",
    "translate.result": "📝 English translation:\n{text}",
    "cmd.tts": "Read a text aloud",
    "cmd.tts.text": "The text to read (up to 4096 characters)",
    "cmd.tts.voice": "alloy, echo, fable, onyx, nova or shimmer (default: /settings)",
    "cmd.tts.speed": "Speaking speed from 0.25 to 4.0 (default 1.0)",
    "tts.caption": "🔊 Voice: {voice}",
    "cmd.settings": "Your defaults: language, chat model, voice, Midjourney, DALL·E size",
    "settings.header": "⚙️ Your settings:",
    "settings.line": "• {name}: {value}",
    "settings.footer": "Press a button to change a setting.",
    "settings.button": "{name}: {value}",
    "settings.choose": "Choose the {name} (now: {value}):",
    "settings.chosen": "✅ {value}",
    "settings.back": "↩️ Back",
    "settings.label.chat_model": "Chat model",
    "settings.label.voice": "TTS voice",
    "settings.label.mj_mode": "MJ mode",
    "settings.label.mj_bot": "MJ bot",
    "settings.label.dalle_size": "DALL·E size",
    "settings.label.voice_chat": "Voice chat",
    "settings.label.language": "Language",
    "settings.value.language.auto": "Automatic",
    "settings.value.language.en": "English",
    "settings.value.language.zh": "简体中文",
    "settings.value.voice_chat.on": "on",
    "settings.value.voice_chat.off": "off",
    "voice.heard": "🎤 {text}",
    "voice.off_user": "Voice messages are not answered automatically. Use /transcribe, "
    "or turn voice chat on in /settings.",
    "voice.off_config": "Voice messages are not answered automatically here. "
    "Use /transcribe to get the text.",
    # --- long jobs: Midjourney, Suno, Luma (helper "jobs") -------------------------
    "cmd.imagine": "Create images with Midjourney",
    "cmd.imagine.prompt": "What to draw (Midjourney flags like --ar 16:9 are allowed)",
    "cmd.imagine.image": "A reference image",
    "cmd.imagine.image2": "A second reference image",
    "cmd.imagine.image3": "A third reference image",
    "cmd.imagine.bot": "mj (Midjourney) or niji (anime style)",
    "cmd.imagine.mode": "Speed: fast, relax or turbo",
    "cmd.blend": "Blend 2–5 images with Midjourney",
    "cmd.blend.image1": "First image",
    "cmd.blend.image2": "Second image",
    "cmd.blend.image3": "Third image",
    "cmd.blend.image4": "Fourth image",
    "cmd.blend.image5": "Fifth image",
    "cmd.blend.dimensions": "portrait, square or landscape",
    "cmd.describe": "Get four Midjourney prompts that describe an image",
    "cmd.describe.image": "The image to describe",
    "cmd.shorten": "Let Midjourney shorten a long prompt",
    "cmd.shorten.prompt": "The prompt to shorten",
    "cmd.faceswap": "Put a face onto another image",
    "cmd.faceswap.face": "The image with the face to use",
    "cmd.faceswap.target": "The image whose face is replaced",
    "cmd.mask": "Send the mask for a waiting Vary (Region)",
    "cmd.mask.image": "A PNG mask: white where Midjourney should redraw",
    "cmd.mask.prompt": "A new prompt for the region (optional)",
    "cmd.jobs": "Your running and recent image, music and video jobs",
    "cmd.queue": "The relay's Midjourney queue",
    "cmd.cancel": "Cancel a queued Midjourney job",
    "cmd.cancel.job": "The job number (see /jobs) or the relay task id",
    "cmd.seed": "Show the seed of a finished Midjourney image",
    "cmd.seed.job": "The job number (see /jobs) or the relay task id",
    "cmd.music": "Make a song with Suno",
    "cmd.music.prompt": "What the song is about (Suno writes the lyrics)",
    "cmd.music.lyrics": "Your own lyrics (then give a title too)",
    "cmd.music.title": "The song's title (with lyrics)",
    "cmd.music.tags": "Style tags, e.g. “epic reggae” (with lyrics)",
    "cmd.music.instrumental": "No vocals",
    "cmd.music.version": "Suno model: v3.0 or v3.5",
    "cmd.video": "Make a video with Luma",
    "cmd.video.prompt": "What happens in the video",
    "cmd.video.image": "The first frame",
    "cmd.video.end_image": "The last frame",
    "cmd.video.image_url": "The first frame as a public image link",
    "cmd.video.end_image_url": "The last frame as a public image link",
    "cmd.video.aspect": "Aspect ratio, e.g. 16:9",
    "cmd.video.loop": "Make the video loop",
    "cmd.video.expand_prompt": "Let Luma improve the prompt",
    "jobs.title.mj": "🎨 Midjourney · {action}",
    "jobs.title.suno": "🎵 Suno · {action}",
    "jobs.title.luma": "🎬 Luma · {action}",
    "jobs.title.other": "⚙️ {kind} · {action}",
    "jobs.state.submitting": "📨 Sending to the relay…",
    "jobs.state.queued": "⏳ Waiting in the queue…",
    "jobs.state.queued_at": "⏳ In the queue, {position} ahead of it…",
    "jobs.state.modal": "✏️ Midjourney is waiting for the prompt: press the button below to "
    "send it.",
    "jobs.state.done": "✅ Done.",
    "jobs.state.failed": "❌ Failed: {reason}",
    "jobs.state.cancelled": "🚫 Cancelled.",
    "jobs.state.timed_out": "⏱ Timed out.",
    "jobs.relay_id": "Relay task {id}",
    "jobs.ids": "Job #{id} · relay task {relay_id}",
    "jobs.failed": "❌ Job #{id} failed (relay task {relay_id}): {reason}",
    "jobs.no_reason": "no reason given",
    "jobs.cancelled": "🚫 Job #{id} was cancelled (relay task {relay_id}).",
    "jobs.timed_out": "⏱ Job #{id} did not finish in time (relay task {relay_id}). "
    "It may still finish at the relay; give the operator this id.",
    "jobs.file_unavailable": "{text}\n\n⚠️ I could not upload the file; here is the link "
    "(it may stop working soon): {url}",
    "jobs.undeliverable": "⚠️ Job #{id} finished (relay task {relay_id}), but this chat keeps "
    "refusing the result. Try /jobs later or ask an admin to check the bot's upload limits.",
    "jobs.already_tracked": "That task is already job #{id}; its result comes there.",
    "jobs.submit_checking": "⏳ The relay did not answer in time. Checking whether job #{id} "
    "started; you will hear from me either way.",
    "jobs.unconfirmed": "⚠️ Job #{id}: the relay never confirmed it, and I could not find it "
    "among its tasks. It may still have started (and be charged), but I cannot follow it "
    "or deliver its result. Send /jobs to see your jobs before trying again.",
    "press.working": "⏳ Already working on it.",
    "press.working_on": "⏳ Already working on it: job #{id}.",
    "press.done": "✅ Already done: job #{id}; its result is in this chat.",
    "press.working_link": "⏳ Already working on it: job #{id}. Its progress: {link}",
    "press.done_link": "✅ Already done: job #{id}. Here is its result: {link}",
    "press.working_replied": "⏳ Already working on it: job #{id}. I replied to its progress "
    "message so you can find it.",
    "press.done_replied": "✅ Already done: job #{id}. I replied to its result so you can "
    "find it.",
    "press.progress_here": "⤴️ Job #{id} is in progress here.",
    "press.result_here": "⤴️ Here is the result of job #{id}.",
    "jobs.none": "You have no jobs yet.",
    "jobs.active_header": "Running:",
    "jobs.recent_header": "Recent:",
    "jobs.line": "#{id} {title} — {prompt}\n   {state}",
    "jobs.cancel_button": "Cancel #{id}",
    "jobs.not_found": "You have no job “{job}”. Send /jobs to see your jobs.",
    "jobs.cancel_done": "Asked the relay to cancel job #{id}.",
    "jobs.cancel_unsupported": "Only Midjourney jobs can be cancelled.",
    "jobs.cancel_finished": "Job #{id} is no longer running.",
    "jobs.seed": "Seed of job #{id}: {seed}",
    "jobs.seed_unsupported": "Only Midjourney jobs have a seed.",
    "jobs.seed_not_done": "Job #{id} has not finished successfully, so it has no seed.",
    "queue.empty": "The relay's Midjourney queue is empty.",
    "queue.header": "The relay's Midjourney queue has {count} task(s):",
    "queue.line": "• {id} {action} — {status} {progress}%",
    "queue.yours": " — your job #{job}: {prompt}",
    "mj.button.upscale_subtle": "Upscale (Subtle)",
    "mj.button.upscale_creative": "Upscale (Creative)",
    "mj.button.redo_upscale_subtle": "Redo Upscale (Subtle)",
    "mj.button.redo_upscale_creative": "Redo Upscale (Creative)",
    "mj.button.upscale_2x": "Upscale (2x)",
    "mj.button.upscale_4x": "Upscale (4x)",
    "mj.button.vary_subtle": "Vary (Subtle)",
    "mj.button.vary_strong": "Vary (Strong)",
    "mj.button.vary_region": "Vary (Region)",
    "mj.button.make_variations": "Make Variations",
    "mj.button.zoom_out_2x": "Zoom Out 2x",
    "mj.button.zoom_out_1_5x": "Zoom Out 1.5x",
    "mj.button.custom_zoom": "Custom Zoom",
    "mj.button.make_square": "Make Square",
    "mj.button.reroll": "Reroll",
    "mj.button.imagine_all": "Imagine all",
    "mj.name.reroll": "reroll",
    "mj.name.pan_left": "pan left",
    "mj.name.pan_right": "pan right",
    "mj.name.pan_up": "pan up",
    "mj.name.pan_down": "pan down",
    "mj.result": "🎨 {title} · job #{id}\n{prompt}",
    "mj.describe_result": "🔎 Describe · job #{id} — press a number to imagine that prompt:",
    "mj.shorten_result": "✂️ Shorten · job #{id} — press a number to imagine that prompt:",
    "mj.prompt_choice_fallback": "The relay cannot press this button; "
    "I imagine the chosen prompt instead.",
    "mj.ask_prompt": "Midjourney wants the prompt for this action. Send it (edited if you like):",
    "mj.ask_zoom": "Custom Zoom: send the prompt with --zoom between 1 and 2, "
    "e.g. “a cat --zoom 1.5”:",
    "mj.bad_zoom": "The prompt needs --zoom with a value from 1 to 2, e.g. “a cat --zoom 1.5”.",
    "mj.ask_region": "Vary (Region): send the area to redraw as “left top right bottom” in "
    "percent of the image (e.g. 10 10 50 50), optionally followed by | and a new prompt. "
    "Or send “mask” to upload a mask image instead.",
    "mj.bad_region": "That is not an area. Send four numbers from 0 to 100 — left top right "
    "bottom — e.g. 10 10 50 50.",
    "mj.mask_wait": "Now send the mask with /mask: a PNG, white where Midjourney should "
    "redraw, black elsewhere. It waits {minutes} minutes.",
    "mj.no_mask_pending": "No Vary (Region) is waiting for a mask. Press Vary (Region) under "
    "an upscaled image and answer “mask” first.",
    "mj.mask_not_png": "The mask must be a PNG image (white = redraw, black = keep).",
    "mj.no_image_size": "I could not get the image to build the mask from. "
    "Answer “mask” and send a mask image with /mask instead.",
    "mj.modal_button": "✏️ Send the prompt",
    "mj.modal_not_waiting": "That Midjourney task is no longer waiting for a prompt.",
    "mj.modal_sent": "Prompt sent; job #{id} goes on.",
    "mj.modal_cancelled": "Cancelled; Midjourney did not start that action.",
    "music.both": "Give either a description (prompt) or lyrics, not both.",
    "music.need_prompt": "Tell me what the song is about (prompt), or give lyrics and a title.",
    "music.need_title": "Songs with your own lyrics need a title (title=…).",
    "music.result": "🎵 {title} · job #{id}\n{tags} · {duration}",
    "music.untitled": "Untitled",
    "music.clip_failed": "❌ The clip “{title}” failed: {reason}",
    "music.no_clips": "Suno sent no clips",
    "music.extend": "➕ Extend",
    "music.full_song": "🎼 Full song",
    "music.ask_extend": "Extend “{title}” (length {duration} s): send the second to continue "
    "at, optionally followed by | and new lyrics, e.g. “30 | [Verse] …”.",
    "music.bad_extend": "Send the second to continue at (after 0, within the clip), e.g. "
    "“30”, “0:30” or “30 | [Verse] new lyrics”.",
    "video.result": "🎬 Luma video · job #{id}\n{prompt}",
    "video.bad_url": "{option} must be an http(s) link to an image.",
    "video.needs_url": "Luma needs a public link to the image, and uploads here have none. "
    "Send the image as a link instead: {url_option}=https://…",
    # --- help ----------------------------------------------------------------------
    "help.header": "Here is what I can do:",
    "help.footer": "In a private chat, just write to chat with me.",
    "help.line": "/{command} — {description}",
    "help.platform.console": "In the console:\n"
    "• attach a file with file:PATH anywhere in the line (file:\"a path with spaces\")\n"
    "• give a file to an option: image=file:PATH, or image=PATH for options that take files\n"
    "• options go after the text as name=value; write `\\=` for an “=” that is text\n"
    "• !press LABEL presses a button; a button that is only an emoji by its name too "
    "(!press reroll, !press pan left, !press 1)",
    "help.platform.telegram": "Options go after the text as name=value "
    "(/imagine a castle mode=relax); write `\\=` for an “=” that is text.",
    # --- console -------------------------------------------------------------------
    "console.ask": "✏️ {prompt}",
    "console.ask_prefill": "✏️ {prompt}\n(current: {prefill}; an empty line keeps it)",
    "console.file_title": "\"{title}\"",
    "console.file_title_by": "\"{title}\" by {performer}",
    "console.file_cover": "with cover thumbnail",
    "console.file_sep": ", ",
    "console.edited": " (edited)",
    "console.no_button": "No message has a button labelled “{label}”.",
    "console.file_missing": "Cannot read {path}: no such file (or no permission).",
    # -- Telegram adapter ------------------------------------------------------------
    "telegram.ask": "✏️ {prompt}\nReply to this message with your answer (/cancel to stop).",
    "telegram.ask_current": "Current text — tap it to copy, change it and send it back:",
    "telegram.see_above": "⬆️",
    # -- Discord adapter -------------------------------------------------------------
    "discord.file_too_large": "📎 {filename} ({size}) is over the {limit} Discord accepts "
    "here, so it is not attached.",
    "discord.ask_reply": "✏️ {prompt}\nReply to this message with your answer.",
    "discord.ask_reply_prefill": "✏️ {prompt}\nReply to this message with your answer "
    "(current: {prefill}).",
    "discord.modal_title": "relaybot",
    "discord.modal_label": "Your text",
    "discord.thread_opened": "🧵 The conversation continues in {thread}.",
    "discord.thread_name": "Conversation with {user}",
    "console.welcome": "relaybot demo — a simulated relay answers, nothing costs money.\n"
    "Try:\n"
    "  hello there                      plain text chats (streamed)\n"
    "  /chat tell me a story [long]     a long answer, split over messages\n"
    "  /chat what is this? file:PIC.png  ask about an image\n"
    "  /model gpt-4o                    switch the model; /persona, /reset\n"
    "  /dalle a red fox                 a DALL·E picture (/draw, /sd too)\n"
    "  /imagine a castle                Midjourney; then !press U1 to upscale\n"
    "  /music a song about the sea      a Suno song\n"
    "  /video a cat surfing             a Luma video\n"
    "  /tts hello world                 read a text aloud\n"
    "  /settings                        your defaults (model, voice, sizes)\n"
    "  /help                            every command\n"
    "  !press LABEL                     press a button shown under a message\n"
    "                                   (!press reroll presses 🔄)\n"
    "End with Ctrl-D.",
    **EN_COMMUNITY,
})
