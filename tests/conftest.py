import autograd


def pytest_report_header(config):
    return f"autograd engine: {autograd.ENGINE}"
