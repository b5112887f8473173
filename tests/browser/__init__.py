"""Browser proofs: every page in Debian Chromium through Playwright (issue 8)."""
