"""Security headers every portal response carries, on the CDN and in the local preview.

`infra/edge.yaml` sends the same values through a CloudFront response headers policy;
a test pins that the two agree. The CSP must stay within 1,783 characters, the longest
value a CloudFront response headers policy accepts for Content-Security-Policy.
"""
from __future__ import annotations

__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "CSP_MAX_CHARS"]

CSP_MAX_CHARS = 1783

# No script at all; styles and images only from the portal's own origin; forms post only
# back to the portal (POST /submit); nothing may frame a portal. `connect-src 'self'` gives
# no page anything (without script nothing connects): it lets the browser's own tools fetch
# the origin's robots.txt (Lighthouse's SEO audit does so under the page's CSP, and failed).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
