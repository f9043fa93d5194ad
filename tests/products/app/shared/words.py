"""What the app says; its text proves which ``shared`` package the host loaded."""

APP_MARK = "orders app, own shared package"


def welcome() -> str:
    return f"hello from the {APP_MARK}"


def receipt_for(name: str, item: str) -> str:
    return f"receipt {name}: {item}"
