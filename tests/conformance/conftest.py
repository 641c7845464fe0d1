"""Session summary of the ONNX conformance run: "ONNX conformance: N passed, M listed"."""


def pytest_terminal_summary(terminalreporter):
    import sys

    module = sys.modules.get("tests.conformance.test_onnx_node")
    results = getattr(module, "RESULTS", None)
    if not results:
        return
    counts = {k: sum(1 for o, _ in results.values() if o == k) for k in ("passed", "listed", "failed")}
    line = f"ONNX conformance: {counts['passed']} passed, {counts['listed']} listed"
    if counts["failed"]:
        line += f", {counts['failed']} failed"
    terminalreporter.write_line(line)
