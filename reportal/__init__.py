"""reportal: reporting portals for online child sexual abuse imagery.

The chain: ``sites/*.yaml`` → static portals (``reportal.site``) → one submission
function that seals each report to the hotline (``reportal.submit``, ``reportal.envelope``)
→ an SQS queue → the analysts' inbox on the hotline's premises (``reportal.inbox``).
"""
__version__ = "0.1.0"
