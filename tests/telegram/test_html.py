"""Model markdown becomes Telegram HTML that Telegram's parser accepts."""

from __future__ import annotations

import random

import pytest

from adapters.telegram.html import markdown_to_html
from tests.fakes.telegram_html import visible_text


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("**bold** and *italic* and _also_", "<b>bold</b> and <i>italic</i> and <i>also</i>"),
        ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
        ("use `x<y` here", "use <code>x&lt;y</code> here"),
        ("```python\nif a < b:\n    pass\n```",
         '<pre><code class="language-python">if a &lt; b:\n    pass</code></pre>'),
        ("## Title", "<b>Title</b>"),
        ("* one\n- two", "• one\n• two"),
        ("~~gone~~", "<s>gone</s>"),
        ("[docs](https://example.org/?a=1&b=2)",
         '<a href="https://example.org/?a=1&amp;b=2">docs</a>'),
        ("snake_case_name and 2 * 3 * 4", "snake_case_name and 2 * 3 * 4"),
        ("**unclosed bold", "**unclosed bold"),
    ],
)
def test_markdown_becomes_telegram_html(markdown: str, html: str) -> None:
    assert markdown_to_html(markdown) == html
    visible_text(html)  # Telegram accepts it


def test_an_unfinished_code_block_while_streaming_is_still_valid() -> None:
    html = markdown_to_html("Here:\n```js\nconst a = 1 < 2 && <b>")
    assert visible_text(html).endswith("const a = 1 < 2 && <b>")


def test_overlapping_markers_never_break_the_nesting() -> None:
    for text in ("~~a **b~~ c**", "*a **b** c*", "**a *b** c*", "__a **b__ c**", "[**x](http://a)**"):
        visible_text(markdown_to_html(text))


def test_random_markdown_is_always_accepted() -> None:
    pieces = ["**", "*", "_", "__", "~~", "`", "```", "```py\n", "\n", " ", "<", ">", "&",
              "[a](https://x.y)", "[", "](", "# ", "- ", "word", "é", "😀", '"', "\x00"]
    rng = random.Random(20240607)
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        html = markdown_to_html(text)
        visible_text(html)
