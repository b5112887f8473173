"""Static portals from config: load (`config`), languages (`catalogs`), plan (`pages`),
render (`render`), write (`output`). `reportal.site.build.build()` runs the four steps in
that order; `state` records a build so an unchanged rebuild is skipped.

Nothing is imported here, so `reportal.site.state` is read without loading the build's
libraries (pydantic, Jinja2, Babel).
"""
