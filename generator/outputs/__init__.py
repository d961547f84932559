"""The outputs of a site, each a module with one interface:

- `TARGETS`: the route targets it renders (frozen dataclasses, subclasses of routes.Target);
- `routes(site) -> list[Route]`: the files it adds for an assembled site;
- `render(ctx, route) -> bytes`: the bytes of one of its routes (ctx: render.RenderContext). What it
  reads through the views is recorded as the file's inputs (generator/inputs.py); what it reads from the
  site directly, it records itself with ctx.record(key), so that an unchanged file is not rendered again.

build.py reads OUTPUTS; adding an output touches its module and this list, no other file.
"""

from . import citations, feeds, opendata, pages, search, sitemap, timeline

OUTPUTS = (pages, feeds, citations, opendata, timeline, sitemap, search)
