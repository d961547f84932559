"""The sitemap, robots.txt and the timeline's charts are templates (issue #14.3): valid XML, and replaceable."""

from __future__ import annotations

import re

from lxml import etree

from conftest import entry, read, run

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SVG_NS = "{http://www.w3.org/2000/svg}"


def short_campaign() -> dict:
    return {"content/articles/a.md": entry("A", "2017-10-15", regions=["us"], sectors=["sports"]),
            "content/articles/b.md": entry("B", "2017-10-17", regions=["france"], sectors=["sports"]),
            "content/pages/about.md": entry("About")}


def svgs(page: str) -> list[etree._Element]:
    return [etree.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", page, re.S)]


def test_sitemap_is_xml_and_robots_text_points_to_it(build_site):
    out = build_site(short_campaign(), "--base-url", "https://example.org/a&b/")
    sitemap = etree.fromstring((out / "sitemap.xml").read_bytes())
    locs = {url.findtext(f"{SITEMAP_NS}loc"): url.findtext(f"{SITEMAP_NS}lastmod")
            for url in sitemap.iter(f"{SITEMAP_NS}url")}
    assert locs["https://example.org/a&b/articles/a/"] == "2017-10-15"
    assert locs["https://example.org/a&b/"] == "2017-10-17"
    # robots.txt is plain text: the URL as it is, not escaped as in markup.
    assert read(out / "robots.txt") == "User-agent: *\nAllow: /\n\nSitemap: https://example.org/a&b/sitemap.xml\n"


def test_layouts_replace_the_sitemap_and_robots_txt(build_site):
    files = {**short_campaign(),
             "layouts/robots.txt": "User-agent: *\nDisallow: /search/\nSitemap: {{ sitemap_url }}\n",
             "layouts/sitemap.xml": "{% for url in urls %}{{ url.loc }} {{ url.lastmod or '-' }}\n{% endfor %}"}
    out = build_site(files)
    assert read(out / "robots.txt") == ("User-agent: *\nDisallow: /search/\n"
                                        "Sitemap: https://archive.example.org/sitemap.xml\n")
    lines = read(out / "sitemap.xml").splitlines()
    assert "https://archive.example.org/articles/b/ 2017-10-17" in lines
    assert "https://archive.example.org/about/ 2017-10-17" in lines


def test_timeline_charts_are_xml(build_site):
    out = build_site(short_campaign())
    charts = svgs(read(out / "timeline/index.html"))
    assert len(charts) == 1 + 2 + 1  # the whole archive, two regions, one sector
    main = charts[0]
    assert main.get("id") == "timeline-chart"
    links = [a.get("href") for a in main.iter(f"{SVG_NS}a")]
    assert links == ["/archive/2017/10/", "/archive/2017/10/"]
    assert [t.text for t in main.iter(f"{SVG_NS}title")][1:] == ["15 October 2017: 1 entry", "17 October 2017: 1 entry"]
    small = charts[1]
    assert small.get("aria-labelledby") == "regions-france-title regions-france-desc"
    assert small.findtext(f"{SVG_NS}title") == "France: entries per day"


def test_layouts_replace_the_charts(write_site):
    chart = ('<svg xmlns="http://www.w3.org/2000/svg" id="{{ chart.ident }}">'
             "{% for bar in chart.bars %}<rect x=\"{{ bar.x }}\" height=\"{{ bar.height }}\"/>{% endfor %}</svg>")
    site = write_site({**short_campaign(), "layouts/_chart.svg": chart})
    assert run("build", "--site", str(site)).code == 0
    charts = svgs(read(site / "output/timeline/index.html"))
    assert [c.tag for c in charts[0]] == [f"{SVG_NS}rect"] * 2  # the site's chart, bars only
    assert charts[1].get("class") == "chart chart-small"  # the built-in small multiples
    (site / "layouts/_small_chart.svg").write_text("<svg>{{ chart.colour }}</svg>", encoding="utf-8")
    result = run("build", "--site", str(site))
    assert result.code == 1 and result.err.startswith("layouts/_small_chart.svg:1:")  # the error names the site's file
