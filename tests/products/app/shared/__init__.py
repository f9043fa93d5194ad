"""The app's own library: named as the devstack's installed ``shared`` is, on purpose."""
