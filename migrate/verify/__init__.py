"""``verify``: the migrated app on the offline local stack, judged by the posture rules."""
