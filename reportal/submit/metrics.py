"""What the function counts, as CloudWatch Embedded Metric Format lines (Powertools).

Each count is written at once as its own EMF line (Powertools `single_metric`), so nothing
waits for a flush that an error could skip, and requests served in parallel threads (the
local preview) cannot mix their counts. Dimensions are `service` and, for refusals, `reason`,
an error code from a closed set: never a field value, header or address.

| metric | when |
|---|---|
| ReportAccepted | SQS acknowledged the sealed envelope |
| ReportRejected | a 4xx answer; one line more per distinct `reason` (error code) |
| HoneypotFilled | the hidden field was filled: answered as success, nothing sent |
| QueueFailure | sealing or sending failed: 503, `reason` = exception type name |
"""
from __future__ import annotations

from collections.abc import Iterable

from aws_lambda_powertools.metrics import MetricUnit, single_metric

__all__ = ["Counters"]


class Counters:
    """Write counts to stdout in EMF for `namespace`, with dimension ``service``."""

    def __init__(self, namespace: str, service: str):
        self.namespace = namespace
        self.service = service

    def count(self, name: str, reason: str | None = None) -> None:
        """Write one EMF line: `name` = 1, with dimension ``reason`` if given."""
        with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=self.namespace,
                           default_dimensions={"service": self.service}) as metric:
            if reason is not None:
                metric.add_dimension(name="reason", value=reason)

    def rejected(self, reasons: Iterable[str]) -> None:
        """Count one refused request, and once more for each distinct reason code."""
        self.count("ReportRejected")
        for reason in sorted(set(reasons)):
            self.count("ReportRejected", reason=reason)
