"""`make bench`: reportal's figures, each measured against its floor in the same run.

Map of the package (run it with ``python -m bench [--quick]``):

- `machine`  what the figures were measured on (CPU model, cores, Python).
- `sites`    the synthetic portal set: 50 portals × 4 languages in a temporary `sites/`.
- `build`    full rebuild pages/s against a bare Jinja2 render-and-write loop; unchanged rebuild.
- `weight`   bytes per page, raw, gzip and brotli, with and without the page's CSS and logos.
- `function` cold import + init of the handler against importing boto3 and creating an SQS
             client; warm CPU per report with the queue client stubbed.
- `inbox`    reports/s opened and stored from a local moto-server queue.
- `budgets`  the performance budgets of DESIGN.md, and the table printed at the end.

Benchmarks are not tests: nothing here asserts a time. `tests/test_bench.py` only checks that
the quick mode runs and writes every key.
"""
