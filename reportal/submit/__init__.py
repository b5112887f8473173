"""The submission function: parse ▸ validate ▸ normalize URLs ▸ seal ▸ send ▸ redirect."""
