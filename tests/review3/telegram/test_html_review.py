"""Model markdown that Telegram showed wrongly: links with parentheses, code blocks whose
code contains three backticks."""

from __future__ import annotations

from adapters.telegram.html import markdown_to_html
from tests.fakes.telegram_html import visible_text


def test_a_wikipedia_link_with_parentheses_keeps_its_whole_url() -> None:
    html = markdown_to_html(
        "See [Python](https://en.wikipedia.org/wiki/Python_(programming_language)) for more."
    )
    assert 'href="https://en.wikipedia.org/wiki/Python_(programming_language)"' in html
    assert visible_text(html) == "See Python for more.", "no stray ')' after the link"


def test_a_link_inside_parentheses_does_not_swallow_the_closing_one() -> None:
    html = markdown_to_html("(docs: [here](https://example.org/a))")
    assert visible_text(html) == "(docs: here)"
    assert 'href="https://example.org/a"' in html


def test_three_backticks_inside_a_code_line_do_not_end_the_block() -> None:
    answer = (
        "Print a fence:\n```python\nprint(\"```\")\nx = **not bold**\n```\nThat is **all**."
    )
    html = markdown_to_html(answer)
    shown = visible_text(html)
    assert 'print("```")\nx = **not bold**' in shown, "the code block is shown whole"
    assert html.count("<pre>") == 1 and "<b>all</b>" in html
    assert "<b>not bold</b>" not in html


def test_an_indented_fence_in_a_list_is_a_code_block() -> None:
    html = markdown_to_html("1. Run:\n   ```bash\n   ls -l | wc\n   ```\n2. Done")
    assert '<pre><code class="language-bash">' in html
    assert visible_text(html).endswith("2. Done")
