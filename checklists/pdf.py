"""HTML documents (agendas, minutes, reports, the offer brochure) as PDF through WeasyPrint, a
real HTML-to-PDF engine: the same HTML a browser shows, laid out on A4 with the page header,
date and page numbers its print style sets. Nothing is fetched: a document that names an
address outside itself gets no content for it (no network access, no local files)."""

from __future__ import annotations

from typing import Any

#: what `foerderkette … --format pdf` says when WeasyPrint's system libraries are missing
MISSING = (
    "Für PDF fehlen die Bibliotheken Pango und HarfBuzz (Debian: apt-get install libpango-1.0-0 "
    "libpangoft2-1.0-0 libharfbuzz0b; make system-deps installiert sie)"
)


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot run here (its system libraries are missing)."""


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher  # noqa: PLC0415

        result: dict[str, Any] = default_url_fetcher(url, *args, **kwargs)
        return result
    raise ValueError(f"external resources are not loaded: {url[:80]}")


def html_to_pdf(html: str) -> bytes:
    """The document as PDF bytes (A4 as its own @page rule says)."""
    try:
        import weasyprint  # noqa: PLC0415
    except OSError as exc:  # cffi could not load Pango
        raise PdfUnavailable(MISSING) from exc
    document = weasyprint.HTML(string=html, url_fetcher=_refuse)
    pdf: bytes = document.write_pdf()
    return pdf
