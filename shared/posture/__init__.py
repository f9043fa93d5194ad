"""Posture checks: how secretless the running deployment is, and the secret patterns behind them."""
