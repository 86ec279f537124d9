"""Pass/fail counting shared by the Python test suites: check() records one
check, summary() prints the "<suite>: N passed, M failed" line that
tests/run.sh adds up, and gives the exit code."""
import sys

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)
    return cond


def summary(suite):
    print("%s: %d passed, %d failed" % (suite, passed, failed))
    return 1 if failed else 0
