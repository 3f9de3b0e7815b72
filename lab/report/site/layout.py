"""A site page: the markdown a report page wrote, rendered to HTML with its links pointed at the
site (pages → .html, figures and other files → the report folder above), inside one shell."""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt

from lab.report.site.assets import PLOTLY_JS, SITE_CSS, SITE_JS

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
_LINK = re.compile(r'(href|src)="([^"#:]*)(#[^"]*)?"')


def html_name(page: str) -> str:
    """The site file of a markdown page: "README.md" → "index.html", "x.md" → "x.html"."""
    return "index.html" if page == "README.md" else page.removesuffix(".md") + ".html"


def render(markdown: str, pages: set[str]) -> str:
    """`markdown` as HTML. A link to one of `pages` (markdown names) goes to its site page; any
    other relative link or image goes to the file in the report folder, one level up."""

    def relink(match: re.Match) -> str:
        attribute, target, anchor = match[1], match[2], match[3] or ""
        if not target:
            return match[0]
        target = html_name(target) if target in pages else "../" + target
        return f'{attribute}="{target}{anchor}"'

    return _LINK.sub(relink, _MARKDOWN.render(markdown))


def shell(title: str, body: str, nav: list[tuple[str, str]], charts: bool = False) -> str:
    """A whole page: `body` (HTML) under a navigation bar of (file, title) links; plotly.js is
    loaded only by pages with `charts`."""
    links = " ".join(f'<a href="{html.escape(href)}">{html.escape(text)}</a>' for href, text in nav)
    script = f'<script src="{PLOTLY_JS}"></script>\n' if charts else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n"
            f'<link rel="stylesheet" href="{SITE_CSS}">\n{script}'
            f'<script src="{SITE_JS}"></script>\n</head>\n<body>\n<nav>{links}</nav>\n<main>\n'
            f"{body}\n</main>\n</body>\n</html>\n")
